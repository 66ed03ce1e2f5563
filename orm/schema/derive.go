package schema

// derive computes, once a model and its relations are complete and before
// it is published, the data its methods serve without recomputing: field
// positions, the memory layout and the foreign keys of its relations.
func derive(m *Model) {
	for i, f := range m.Fields {
		f.pos = i
	}
	m.layout = layoutOf(m)
	for _, r := range m.Relations {
		r.ForeignKey = relationForeignKey(r)
	}
}

// relationForeignKey returns the constraint a relation follows; see
// Relation.ForeignKey.
func relationForeignKey(r *Relation) *ForeignKey {
	switch r.Kind {
	case ManyToOne:
		return r.Model.ForeignKeyOf(r.LocalFields)
	case OneToMany, OneToOne:
		return r.Target.ForeignKeyOf(r.RemoteFields)
	}
	return nil
}
