package dialect_test

import (
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/mysql"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/pgx"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/pq"

	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"
)

// While a server restarts, new connections fail before any statement: the
// port refuses them, the server accepts and closes at once, or PostgreSQL
// answers the startup with FATAL 57P03 ("the database system is starting
// up" / "shutting down"). Those "failed to connect" errors of pgx, lib/pq
// and go-sql-driver/mysql must match dialect.ErrConnectionLost, so that RunInTx
// waits for the server instead of giving up.

// dialDSN returns a DSN of driver for 127.0.0.1:port.
func dialDSN(drv string, port int) string {
	switch drv {
	case "mysql":
		return fmt.Sprintf("root@tcp(127.0.0.1:%d)/test?timeout=2s", port)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/test?sslmode=disable&connect_timeout=2", port)
}

// pingErr opens a pool of drv on port and returns the classified error of
// its first connection.
func pingErr(t *testing.T, drv string, port int) error {
	t.Helper()
	db, err := sql.Open(drv, dialDSN(drv, port))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = db.PingContext(ctx)
	if err == nil {
		t.Fatalf("%s: ping of a fake server succeeded", drv)
	}
	return dialect.Classify(err)
}

// fakeServer listens on a free loopback port and serves each connection
// with serve; it returns the port.
func fakeServer(t *testing.T, serve func(c net.Conn)) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				serve(c)
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// pgStartingUp reads a PostgreSQL startup message and answers it with
// FATAL 57P03, as a server that is starting up or shutting down does.
func pgStartingUp(c net.Conn) {
	var n [4]byte
	if _, err := c.Read(n[:]); err != nil {
		return
	}
	rest := make([]byte, binary.BigEndian.Uint32(n[:])-4)
	if _, err := c.Read(rest); err != nil {
		return
	}
	body := []byte("SFATAL\x00VFATAL\x00C57P03\x00Mthe database system is starting up\x00\x00")
	msg := append([]byte{'E', 0, 0, 0, 0}, body...)
	binary.BigEndian.PutUint32(msg[1:], uint32(len(body)+4))
	_, _ = c.Write(msg)
}

// myShuttingDown greets a MySQL client with error 1053 (server shutdown in
// progress), as MariaDB answers new connections while it shuts down.
func myShuttingDown(c net.Conn) {
	body := append([]byte{0xff, 0x1d, 0x04}, []byte("#08S01Server shutdown in progress")...)
	pkt := []byte{byte(len(body)), byte(len(body) >> 8), byte(len(body) >> 16), 0}
	_, _ = c.Write(append(pkt, body...))
}

func TestClassifyFailedToConnect(t *testing.T) {
	refused := closedPort(t)
	hangup := fakeServer(t, func(net.Conn) {})
	startingUp := fakeServer(t, pgStartingUp)
	shuttingDown := fakeServer(t, myShuttingDown)
	cases := []struct {
		name string
		drv  string
		port int
	}{
		{"pgx/refused", "pgx", refused},
		{"pq/refused", "postgres", refused},
		{"mysql/refused", "mysql", refused},
		{"pgx/hangup", "pgx", hangup},
		{"pq/hangup", "postgres", hangup},
		{"mysql/hangup", "mysql", hangup},
		{"pgx/starting-up", "pgx", startingUp},
		{"pq/starting-up", "postgres", startingUp},
		{"mysql/shutting-down", "mysql", shuttingDown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := pingErr(t, tc.drv, tc.port)
			if !errors.Is(err, dialect.ErrConnectionLost) {
				t.Fatalf("failed to connect: %v (%T): want dialect.ErrConnectionLost", err, errors.Unwrap(err))
			}
			if dialect.IsRetryable(err) {
				t.Fatalf("%v: a lost connection must not be dialect.IsRetryable", err)
			}
		})
	}
}
