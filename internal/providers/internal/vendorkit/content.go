package vendorkit

import (
	"errors"
	"fmt"

	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// UserParts translates the content of a user message into a vendor's parts:
// text(s) for each non-empty text (a plain string is one), image(u) for
// each image_url part. Other part types are refused; errors name the part
// (content[j]).
func UserParts[T any](c oa.Content, text func(s string) T, image func(u *oa.ImageURL) (T, error)) ([]T, error) {
	if c.Parts == nil {
		if c.Text == "" {
			return nil, nil
		}
		return []T{text(c.Text)}, nil
	}
	var out []T
	for j, p := range c.Parts {
		switch p.Type {
		case oa.PartText:
			if p.Text != "" {
				out = append(out, text(p.Text))
			}
		case oa.PartImageURL:
			part, err := image(p.ImageURL)
			if err != nil {
				return nil, fmt.Errorf("content[%d]: %w", j, err)
			}
			out = append(out, part)
		default:
			return nil, fmt.Errorf("content[%d]: content part type %q is not supported by this model's provider", j, p.Type)
		}
	}
	return out, nil
}

// DataImage reads an image part for a vendor that takes images inline
// only: u must be a base64 data: URL.
func DataImage(u *oa.ImageURL) (oa.DataURL, error) {
	if u == nil {
		return oa.DataURL{}, errors.New("image_url is missing")
	}
	d, ok := oa.ParseDataURL(u.URL)
	if !ok {
		return oa.DataURL{}, errors.New("this provider accepts images as base64 data: URLs only")
	}
	return d, nil
}
