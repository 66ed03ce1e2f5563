module github.com/sqlmodel-go/sqlmodel/orm/otel

go 1.26.8

replace github.com/sqlmodel-go/sqlmodel => ../..
