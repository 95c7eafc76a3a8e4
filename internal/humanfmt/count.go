// Package humanfmt writes numbers in human-readable output the way a
// reader expects: counts with the right noun form ("1 panic", "2 panics")
// and lists of numbers without Go's brackets ("1913, 1918"). It imports
// nothing of warmcheck.
package humanfmt

import (
	"fmt"
	"strings"
)

// Count is n followed by one when n is 1, else by many.
func Count[N ~int | ~int64 | ~uint64](n N, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// List is the numbers separated by ", ".
func List[N ~int | ~int64 | ~uint64](ns []N) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}
