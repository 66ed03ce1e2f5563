package schema

import (
	"strings"
	"unicode"
)

// SnakeCase converts a Go identifier to snake_case, keeping acronyms together:
// "SecretName" -> "secret_name", "TeamID" -> "team_id", "HTTPPort" ->
// "http_port", "HeroTeamLink" -> "hero_team_link", "UserIDs" -> "user_ids".
func SnakeCase(s string) string {
	runes := []rune(s)
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i, r := range runes {
		if unicode.IsUpper(r) {
			if i > 0 {
				prev := runes[i-1]
				nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
				// A plural acronym keeps its 's': "IDs" -> "ids", "UserURLs" -> "user_urls".
				if nextLower && runes[i+1] == 's' && (i+2 == len(runes) || !unicode.IsLower(runes[i+2])) {
					nextLower = false
				}
				if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
					b.WriteByte('_')
				}
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
