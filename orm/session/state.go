package session

// ObjectState is the state of an object in a session.
type ObjectState uint8

// Object states. See the package documentation for the transitions.
const (
	// StateDetached: not tracked by the session (never added, expunged, or
	// deleted and flushed).
	StateDetached ObjectState = iota
	// StateNew: added, waiting for its INSERT.
	StateNew
	// StatePersistent: has a row in the database and is tracked.
	StatePersistent
	// StateDeleted: persistent, waiting for its DELETE.
	StateDeleted
	// StateExpired: persistent, but its values will be reloaded on next access
	// through Get, a query or Refresh.
	StateExpired
)

func (s ObjectState) String() string {
	switch s {
	case StateDetached:
		return "Detached"
	case StateNew:
		return "New"
	case StatePersistent:
		return "Persistent"
	case StateDeleted:
		return "Deleted"
	case StateExpired:
		return "Expired"
	}
	return "ObjectState(?)"
}
