package schema

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrInvalidTag is matched (errors.Is) by every registration error: a bad
	// tag option, an unsupported field type, a model without a primary key,
	// an unresolvable foreign key or relationship.
	ErrInvalidTag = errors.New("orm/schema: invalid model")
	// ErrUnmapped reports a value whose type is not a registered model, or
	// not a pointer to a struct.
	ErrUnmapped = errors.New("orm/schema: unmapped type")
	// ErrCircularDependency reports foreign keys that form a cycle which
	// cannot be broken because every foreign key on it is NOT NULL.
	ErrCircularDependency = errors.New("orm/schema: circular dependency")
)

// TagError describes one mistake found while registering a model.
type TagError struct {
	Type   string // Go type, such as "main.Hero"
	Field  string // Go field path, such as "TeamID" or "Base.ID"; empty for model-level errors
	Tag    string // the tag text, empty when the error is not about a tag
	Reason string
}

func (e *TagError) Error() string {
	var b strings.Builder
	b.WriteString("orm/schema: ")
	b.WriteString(e.Type)
	if e.Field != "" {
		b.WriteString(".")
		b.WriteString(e.Field)
	}
	if e.Tag != "" {
		fmt.Fprintf(&b, " (tag %q)", e.Tag)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// Is reports that a *TagError matches ErrInvalidTag.
func (e *TagError) Is(target error) bool { return target == ErrInvalidTag }

// CycleError reports tables whose foreign keys form a cycle that cannot be
// broken. It matches ErrCircularDependency.
type CycleError struct {
	Tables []string // the cycle, first table repeated at the end
}

func (e *CycleError) Error() string {
	return "orm/schema: circular dependency between tables: " + strings.Join(e.Tables, " -> ")
}

// Is reports that a *CycleError matches ErrCircularDependency.
func (e *CycleError) Is(target error) bool { return target == ErrCircularDependency }
