package scalefig

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestRecordAppendsAndReadReturnsInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "figures.jsonl")
	t.Setenv(Env, path)
	want := []Figure{
		{Key: ColdServed, Consumers: 10000, Value: "9.5 s", Source: "TestColdConvergence"},
		{Key: OperatorRSS, Consumers: 10000, Value: "175 MiB", Source: "TestColdConvergence"},
	}
	for _, f := range want {
		if err := Record(f); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read %+v, want %+v", got, want)
	}
}

func TestRecordWithoutTheVariableWritesNothing(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(Env, "")
	t.Chdir(dir)
	if err := Record(Figure{Key: ColdServed, Value: "1 s"}); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("wrote %v with %s unset", entries, Env)
	}
}

func TestReadRefusesABrokenLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "figures.jsonl")
	if err := os.WriteFile(path, []byte("{\"key\":\"a\"}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path); err == nil {
		t.Fatal("a broken line was read without an error")
	}
}
