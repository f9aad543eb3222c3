// Package mirror is samizdat's policy: what a publisher announces, what a
// mirror follows, fetches and keeps, and what a reader gets. Its API may
// change before v1.
package mirror
