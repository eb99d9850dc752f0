package report

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strconv"
)

// JSON writes r as indented JSON, the form other tools read. JSON has no NaN
// or infinity, so a report holding one is refused with an error naming the
// field, before anything is written.
func JSON(w io.Writer, r *Report) error {
	if r == nil {
		return errNilReport
	}
	if path := nonFinite(reflect.ValueOf(*r), "report"); path != "" {
		return fmt.Errorf("report: write JSON: %s is not a finite number", path)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report: write JSON: %w", err)
	}
	return nil
}

// nonFinite returns the path of the first NaN or infinite float in v, or "".
// It walks the value rather than naming fields so that fields added to the
// model later are checked too.
func nonFinite(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if !finite(v.Float()) {
			return path
		}
	case reflect.Pointer:
		if !v.IsNil() {
			return nonFinite(v.Elem(), path)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			if p := nonFinite(v.Field(i), path+"."+t.Field(i).Name); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if p := nonFinite(v.Index(i), path+"["+strconv.Itoa(i)+"]"); p != "" {
				return p
			}
		}
	}
	return ""
}
