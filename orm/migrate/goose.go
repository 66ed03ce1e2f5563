package migrate

import (
	"bufio"
	"fmt"
	"strings"
)

// goosePart is the Up or the Down part of a migration file.
type goosePart struct {
	stmts []string
}

// gooseFile is a parsed migration file in goose's format.
type gooseFile struct {
	up, down goosePart
	noTx     bool // -- +goose NO TRANSACTION
}

// parseGoose reads goose's annotations: "-- +goose Up" and "-- +goose Down"
// open the parts, statements end with a line ending in ";" unless they sit
// between "-- +goose StatementBegin" and "-- +goose StatementEnd", and
// "-- +goose NO TRANSACTION" runs the file outside a transaction. Other
// comment lines and blank lines between statements are left out.
func parseGoose(text string) (*gooseFile, error) {
	f := &gooseFile{}
	var part *goosePart
	var cur []string
	inBlock := false
	flush := func() {
		if s := strings.TrimSpace(strings.Join(cur, "\n")); s != "" && part != nil {
			part.stmts = append(part.stmts, strings.TrimSuffix(s, ";"))
		}
		cur = nil
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if ann, ok := strings.CutPrefix(trimmed, "-- +goose "); ok {
			switch strings.ToUpper(strings.TrimSpace(ann)) {
			case "UP":
				flush()
				part = &f.up
			case "DOWN":
				flush()
				part = &f.down
			case "STATEMENTBEGIN":
				flush()
				inBlock = true
			case "STATEMENTEND":
				inBlock = false
				flush()
			case "NO TRANSACTION":
				f.noTx = true
			default:
				return nil, fmt.Errorf("line %d: unknown annotation %q", n, trimmed)
			}
			continue
		}
		if part == nil {
			if trimmed != "" && !strings.HasPrefix(trimmed, "--") {
				return nil, fmt.Errorf("line %d: SQL before -- +goose Up", n)
			}
			continue
		}
		if !inBlock && (trimmed == "" || strings.HasPrefix(trimmed, "--")) && len(cur) == 0 {
			continue
		}
		cur = append(cur, line)
		if !inBlock && strings.HasSuffix(trimmed, ";") {
			flush()
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if inBlock {
		return nil, fmt.Errorf("-- +goose StatementBegin without StatementEnd")
	}
	flush()
	return f, nil
}

// formatGoose writes up and down as a goose file, each statement between
// StatementBegin and StatementEnd (statements span lines and may hold
// semicolons); notes become comments of the Down part.
func formatGoose(up, down, notes []string) string {
	var b strings.Builder
	write := func(stmts []string) {
		for _, s := range stmts {
			b.WriteString("-- +goose StatementBegin\n" + s + ";\n-- +goose StatementEnd\n")
		}
	}
	b.WriteString("-- +goose Up\n")
	write(up)
	b.WriteString("\n-- +goose Down\n")
	for _, n := range notes {
		b.WriteString("-- " + n + "\n")
	}
	write(down)
	return b.String()
}
