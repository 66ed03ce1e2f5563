package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, filepath.Join(t.TempDir(), "app.db")); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"create table team",
		"add column hero.age",
		"alter column hero.name: type VARCHAR(20) -> VARCHAR(100) (widening)",
		"drop column hero.motto",
		"destructive changes refused",
		"_teams_and_age.sql",
		"status: applied true, checksum ok true",
		"migrate.Plan again: empty = true",
		`hero 1 after the migration: name "Deadpond", secret "Dive Wilson", age 32`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
