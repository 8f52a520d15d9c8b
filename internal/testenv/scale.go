package testenv

import (
	"os"
	"strconv"
	"testing"
)

// ScaleEnv turns on the opt-in scale tests (`make scale`) when it is "1".
const ScaleEnv = "TOLLGATE_SCALE"

// ScaleCount skips t, saying it would do what, unless ScaleEnv is "1";
// it returns the positive count in the variable countEnv, or def.
func ScaleCount(t testing.TB, countEnv string, def int, what string) int {
	t.Helper()
	if os.Getenv(ScaleEnv) != "1" {
		t.Skipf("set %s=1 to %s", ScaleEnv, what)
	}
	if v, err := strconv.Atoi(os.Getenv(countEnv)); err == nil && v > 0 {
		return v
	}
	return def
}
