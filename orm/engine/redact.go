package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// Drivers may echo a DSN in their errors: lib/pq parses a URL DSN on every
// connect, and net/url's parse errors quote the whole URL, password
// included. Open therefore builds its pool on a connector that removes the
// DSN's password from connection errors, so that it reaches neither the
// caller nor a log.

// redacted stands in for a password in error messages.
const redacted = "xxxxx"

// minSecret is the shortest password that is redacted: replacing every
// occurrence of a shorter one would garble messages more than it hides.
const minSecret = 4

// redactedError is an error whose message has the DSN's password replaced.
// Unwrap returns the driver's error (whose own message is not redacted).
type redactedError struct {
	err     error
	secrets []string
}

func (e *redactedError) Error() string { return redactText(e.err.Error(), e.secrets) }
func (e *redactedError) Unwrap() error { return e.err }

func redactText(s string, secrets []string) string {
	for _, p := range secrets {
		s = strings.ReplaceAll(s, p, redacted)
	}
	return s
}

// redactErr hides secrets in err's message; err is returned as is when its
// message shows none of them.
func redactErr(err error, secrets []string) error {
	if err == nil || len(secrets) == 0 || redactText(err.Error(), secrets) == err.Error() {
		return err
	}
	return &redactedError{err: err, secrets: secrets}
}

var (
	// password=... in a key=value DSN, quoted or not.
	kvPassword = regexp.MustCompile(`(?i)(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s]*)`)
	// _auth_pass=... (go-sqlite3) and password=... in a URL query.
	queryPassword = regexp.MustCompile(`(?i)[?&](?:password|_auth_pass)=([^&#]*)`)
)

// dsnSecrets returns the password of a DSN in the forms a driver may print:
// as written, percent-decoded and re-encoded. It does not need the DSN to
// be valid, since invalid DSNs are the ones drivers quote.
func dsnSecrets(dsn string) []string {
	var found []string
	if i := strings.Index(dsn, "://"); i >= 0 {
		// URL: scheme://user:password@host...; the userinfo ends at the
		// last '@' before the path.
		rest := dsn[i+3:]
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			rest = rest[:j]
		}
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
				found = append(found, pw)
			}
		}
	} else if at := strings.LastIndex(dsn, "@"); at >= 0 && !strings.Contains(dsn[:at], " ") {
		// MySQL: user:password@protocol(address)/dbname
		if _, pw, ok := strings.Cut(dsn[:at], ":"); ok {
			found = append(found, pw)
		}
	}
	for _, m := range kvPassword.FindAllStringSubmatch(dsn, -1) {
		v := m[1]
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(v[1 : len(v)-1])
		}
		found = append(found, v)
	}
	for _, m := range queryPassword.FindAllStringSubmatch(dsn, -1) {
		found = append(found, m[1])
	}
	var out []string
	seen := map[string]bool{}
	for _, p := range found {
		forms := []string{p, url.QueryEscape(p), url.PathEscape(p)}
		if d, err := url.PathUnescape(p); err == nil {
			forms = append(forms, d)
		}
		if d, err := url.QueryUnescape(p); err == nil {
			forms = append(forms, d)
		}
		for _, f := range forms {
			if len(f) >= minSecret && !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	// Longest first, so that a form containing another is replaced whole.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && len(out[j]) > len(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// openPool is sql.Open with the DSN's password removed from the errors of
// opening the connector and of every connection attempt.
func openPool(driverName, dsn string) (*sql.DB, error) {
	secrets := dsnSecrets(dsn)
	if !slices.Contains(sql.Drivers(), driverName) {
		return nil, fmt.Errorf("%w: no database/sql driver %q is registered: import its package (the packages under github.com/sqlmodel-go/sqlmodel/orm/driver register the ORM's drivers)", dialect.ErrInvalidArgument, driverName)
	}
	probe, err := sql.Open(driverName, "")
	if err != nil {
		return nil, err // unknown driver: no DSN involved
	}
	drv := probe.Driver()
	_ = probe.Close()
	var c driver.Connector
	if dc, ok := drv.(driver.DriverContext); ok {
		if c, err = dc.OpenConnector(dsn); err != nil {
			return nil, redactErr(err, secrets)
		}
	} else {
		c = dsnConnector{drv: drv, dsn: dsn}
	}
	if len(secrets) > 0 {
		c = redactingConnector{Connector: c, secrets: secrets}
	}
	return sql.OpenDB(c), nil
}

// dsnConnector opens connections of a driver without DriverContext.
type dsnConnector struct {
	drv driver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

// redactingConnector removes secrets from connection errors.
type redactingConnector struct {
	driver.Connector
	secrets []string
}

func (c redactingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		// driver.ErrBadConn must stay itself for database/sql's retries.
		if err == driver.ErrBadConn {
			return nil, err
		}
		return nil, redactErr(err, c.secrets)
	}
	return conn, nil
}
