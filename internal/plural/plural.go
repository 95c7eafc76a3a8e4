// Package plural writes counts with the right noun form ("1 panic", "2
// panics") in human-readable output. It imports nothing of warmcheck.
package plural

import "fmt"

// Count is n followed by one when n is 1, else by many.
func Count[N ~int | ~int64 | ~uint64](n N, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
