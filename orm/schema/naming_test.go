package schema_test

import (
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

func TestSnakeCase(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"A", "a"},
		{"a", "a"},
		{"ID", "id"},
		{"Id", "id"},
		{"Hero", "hero"},
		{"HeroTeamLink", "hero_team_link"},
		{"SecretName", "secret_name"},
		{"TeamID", "team_id"},
		{"UserID", "user_id"},
		{"HTTPPort", "http_port"},
		{"HTTPServer", "http_server"},
		{"ServeHTTP", "serve_http"},
		{"OAuth2Token", "o_auth2_token"},
		{"Base64Data", "base64_data"},
		{"Int64", "int64"},
		{"V2", "v2"},
		{"already_snake", "already_snake"},
		{"lowerCamel", "lower_camel"},
		{"IDs", "ids"},
		{"UserIDs", "user_ids"},
		{"UserURLs", "user_urls"},
		{"URLsByID", "urls_by_id"},
		{"HTTPSender", "http_sender"},
		{"ABTest", "ab_test"},
		{"XMLHttpRequest", "xml_http_request"},
		{"ÜberName", "über_name"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := schema.SnakeCase(tc.in); got != tc.want {
				t.Errorf("SnakeCase(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
