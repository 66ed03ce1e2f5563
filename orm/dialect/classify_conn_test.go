package dialect_test

import (
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/mysql"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/pgx"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/pq"

	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lib/pq"
)

func TestClassifyConnectionLost(t *testing.T) {
	lost := []error{
		driver.ErrBadConn,
		fmt.Errorf("exec: %w", driver.ErrBadConn),
		mysql.ErrInvalidConn,
		&mysql.MySQLError{Number: 1927, Message: "Connection was killed"},
		&mysql.MySQLError{Number: 2013, Message: "Lost connection"},
		&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"},
		&pgconn.PgError{Code: "08006"},
		&pq.Error{Code: "57P01"},
		&pq.Error{Code: "08003"},
		pgconn.ErrConnClosed,
		io.ErrUnexpectedEOF,
		&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET},
		syscall.EPIPE,
	}
	for _, err := range lost {
		got := dialect.Classify(err)
		if !errors.Is(got, dialect.ErrConnectionLost) {
			t.Errorf("dialect.Classify(%T %v) = %v: want dialect.ErrConnectionLost", err, err, got)
		}
		if !errors.Is(got, err) {
			t.Errorf("dialect.Classify(%v) lost the driver error", err)
		}
		if dialect.IsRetryable(got) {
			t.Errorf("a lost connection must not be retryable: %v", err)
		}
		if again := dialect.Classify(got); again != got {
			t.Errorf("classifying twice changed %v", got)
		}
	}
	notLost := []error{
		&pgconn.PgError{Code: "23505"},
		&pq.Error{Code: "40001"},
		&mysql.MySQLError{Number: 1062},
		errors.New("some other error"),
		context.Canceled,
		fmt.Errorf("stmt: %w", context.DeadlineExceeded),
	}
	for _, err := range notLost {
		if errors.Is(dialect.Classify(err), dialect.ErrConnectionLost) {
			t.Errorf("dialect.Classify(%v) matched dialect.ErrConnectionLost", err)
		}
	}
	var pe *pgconn.PgError
	if !errors.As(dialect.Classify(&pgconn.PgError{Code: "57P01"}), &pe) || pe.Code != "57P01" {
		t.Error("errors.As must still reach *pgconn.PgError")
	}
}
