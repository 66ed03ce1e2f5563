// The tutorial's second part: relationships between teams, heroes and powers.

package main

import (
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

func heroTeam(h *Hero) *orm.Lazy[Team] { return &h.Team }

func teamHeroes(t *Team) *orm.RelatedMany[Hero] { return &t.Heroes }

func heroPowers(h *Hero) *orm.RelatedMany[Power] { return &h.Powers }

func powerHeroes(p *Power) *orm.RelatedMany[Hero] { return &p.Heroes }

// createTeams creates teams and relates heroes to them from both sides:
// Lazy on the hero (RelateToOne) and RelatedMany on the team (a new team
// added with its heroes).
func (t *tutorial) createTeams() error {
	t.step("Create teams and relate heroes")
	return t.session(func(s *orm.Session) error {
		preventers := &Team{Name: "Preventers", Headquarters: "Sharp Tower"}
		zforce := &Team{Name: "Z-Force", Headquarters: "Sister Margaret's Bar"}
		deadpond, err := orm.Select[Hero](s).Where("name = ?", "Deadpond").One(t.ctx)
		if err != nil {
			return err
		}
		rusty, err := orm.Select[Hero](s).Where("name = ?", "Rusty-Man").One(t.ctx)
		if err != nil {
			return err
		}
		// The teams are new: RelateToOne adds them to the session, and the
		// flush fills the heroes' team_id from their generated keys.
		if err := orm.RelateToOne(s, deadpond, heroTeam, zforce); err != nil {
			return err
		}
		if err := orm.RelateToOne(s, rusty, heroTeam, preventers); err != nil {
			return err
		}
		t.printf("Before commit: team ids %d %d, Deadpond.team_id %v", zforce.ID, preventers.ID, deadpond.TeamID)
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		t.printf("Created team: %v", zforce)
		t.printf("Created team: %v", preventers)
		t.printf("Updated hero: %v", deadpond)
		t.printf("Updated hero: %v", rusty)

		// A new team with its heroes and missions, set on the team's side:
		// adding the team adds the new hero and missions (save cascade),
		// and the flush writes their team_id from the team's new key.
		blackLion, err := orm.Select[Hero](s).Where("name = ?", "Black Lion").One(t.ctx)
		if err != nil {
			return err
		}
		sureE := &Hero{Name: "Princess Sure-E", SecretName: "Sure-E"}
		wakaland := &Team{Name: "Wakaland", Headquarters: "Wakaland Capital City"}
		wakaland.Heroes.Set([]*Hero{blackLion, sureE})
		wakaland.Missions.Set([]*Mission{{Name: "Guard the capital"}, {Name: "Train the guard"}})
		if err := s.Add(wakaland); err != nil {
			return err
		}
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		// The commit expired the team, relations included: load them again.
		if err := orm.Preload(t.ctx, s, []*Team{wakaland}, "Heroes", "Missions"); err != nil {
			return err
		}
		t.printf("Team Wakaland: %v", wakaland)
		for _, h := range wakaland.Heroes.Items() {
			t.printf("  hero: %v", h)
		}
		for _, m := range wakaland.Missions.Items() {
			t.printf("  mission: id=%d name='%s' team_id=%d", m.ID, m.Name, m.TeamID)
		}
		return nil
	})
}

// readRelationships loads relations explicitly: a single LoadLazy, then
// Preload for many objects with one query per relation.
func (t *tutorial) readRelationships() error {
	t.step("Read relationships")
	return t.session(func(s *orm.Session) error {
		rusty, err := orm.Select[Hero](s).Where("name = ?", "Rusty-Man").One(t.ctx)
		if err != nil {
			return err
		}
		_, loaded := rusty.Team.Get()
		t.printf("Rusty-Man's team loaded before LoadLazy: %v", loaded)
		if _, err := orm.LoadLazy(t.ctx, s, &rusty.Team); err != nil {
			return err
		}
		team, _ := rusty.Team.Get()
		t.printf("Rusty-Man's team: %v", team)

		teams, err := orm.Select[Team](s).OrderBy("id").Preload("Heroes").All(t.ctx)
		if err != nil {
			return err
		}
		for _, team := range teams {
			t.printf("%s heroes:", team.Name)
			for _, h := range team.Heroes.Items() {
				t.printf("  %v", h)
			}
		}
		t.printf("Rusty-Man is the same pointer in his team: %v", teams[1].Heroes.Items()[0] == rusty)
		return nil
	})
}

// moveHero moves Tarantula into Z-Force and then to the Preventers, and
// finally lets Dr. Weird leave his team. back_populates keeps the teams'
// loaded hero lists in step before anything is written.
func (t *tutorial) moveHero() error {
	t.step("Move a hero between teams")
	return t.session(func(s *orm.Session) error {
		teams, err := orm.Select[Team](s).Where("name IN (?)", []string{"Preventers", "Z-Force"}).OrderBy("id").Preload("Heroes").All(t.ctx)
		if err != nil {
			return err
		}
		zforce, preventers := teams[0], teams[1]
		tarantula, err := orm.Select[Hero](s).Where("name = ?", "Tarantula").One(t.ctx)
		if err != nil {
			return err
		}
		// Each commit expires the objects, relations included; names loads
		// the teams' heroes again when needed (one query for both teams).
		names := func(team *Team) string {
			if !team.Heroes.IsLoaded() {
				if err := orm.Preload(t.ctx, s, []*Team{zforce, preventers}, "Heroes"); err != nil {
					return err.Error()
				}
			}
			var n []string
			for _, h := range team.Heroes.Items() {
				n = append(n, h.Name)
			}
			return "[" + strings.Join(n, ", ") + "]"
		}
		if err := orm.RelateToOne(s, tarantula, heroTeam, zforce); err != nil {
			return err
		}
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		t.printf("Tarantula joins Z-Force: Z-Force %s, Preventers %s", names(zforce), names(preventers))

		if err := orm.RelateToOne(s, tarantula, heroTeam, preventers); err != nil {
			return err
		}
		t.printf("Moved, not yet committed: modified %v; Z-Force %s, Preventers %s", s.ModifiedAttributes(tarantula), names(zforce), names(preventers))
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		if err := orm.Refresh(t.ctx, s, tarantula); err != nil {
			return err
		}
		t.printf("Updated hero: %v", tarantula)

		weird, err := orm.Select[Hero](s).Where("name = ?", "Dr. Weird").One(t.ctx)
		if err != nil {
			return err
		}
		if err := orm.RelateToOne(s, weird, heroTeam, preventers); err != nil {
			return err
		}
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		t.printf("Dr. Weird joins the Preventers: %s", names(preventers))
		if err := orm.UnrelateFromOne(s, weird, heroTeam); err != nil {
			return err
		}
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		if err := orm.Refresh(t.ctx, s, weird); err != nil {
			return err
		}
		t.printf("Dr. Weird leaves: %v; Preventers %s", weird, names(preventers))
		return nil
	})
}

// deleteTeam deletes Wakaland: its missions are deleted with it
// (cascade_delete), its heroes stay with team_id NULL (ON DELETE SET NULL).
func (t *tutorial) deleteTeam() error {
	t.step("Delete a team: cascade vs SET NULL")
	return t.session(func(s *orm.Session) error {
		wakaland, err := orm.Select[Team](s).Where("name = ?", "Wakaland").One(t.ctx)
		if err != nil {
			return err
		}
		missions, err := orm.Select[Mission](s).Filter(orm.Col("team_id").Eq(wakaland.ID)).Count(t.ctx)
		if err != nil {
			return err
		}
		t.printf("Wakaland has %d missions", missions)
		if err := s.Delete(wakaland); err != nil {
			return err
		}
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		t.printf("Deleted team: %v", wakaland)
		missions, err = orm.Select[Mission](s).Count(t.ctx)
		if err != nil {
			return err
		}
		t.printf("Missions left: %d (cascade_delete)", missions)
		heroes, err := orm.Select[Hero](s).Where("name IN (?)", []string{"Black Lion", "Princess Sure-E"}).OrderBy("id").All(t.ctx)
		if err != nil {
			return err
		}
		for _, h := range heroes {
			t.printf("Hero kept, without a team (SET NULL): %v", h)
		}
		return nil
	})
}

// powers relates heroes and powers many-to-many, from either side; one
// link row per pair.
func (t *tutorial) powers() error {
	t.step("Many-to-many: powers")
	return t.session(func(s *orm.Session) error {
		heroes, err := orm.Select[Hero](s).Where("name IN (?)", []string{"Deadpond", "Rusty-Man", "Tarantula"}).OrderBy("id").All(t.ctx)
		if err != nil {
			return err
		}
		deadpond, rusty, tarantula := heroes[0], heroes[1], heroes[2]
		healing := &Power{Name: "Healing Factor"}
		strength := &Power{Name: "Super Strength"}
		webs := &Power{Name: "Web Shooting"}
		if err := s.AddAll(healing, strength, webs); err != nil {
			return err
		}
		for _, rel := range []struct {
			hero  *Hero
			power *Power
		}{{deadpond, healing}, {deadpond, strength}, {rusty, strength}, {tarantula, webs}} {
			if err := orm.RelateManyToMany(s, rel.hero, heroPowers, rel.power); err != nil {
				return err
			}
		}
		// The same pair from the other side: still one link row.
		if err := orm.RelateManyToMany(s, strength, powerHeroes, rusty); err != nil {
			return err
		}
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		links, err := orm.Select[HeroPowerLink](s).Count(t.ctx)
		if err != nil {
			return err
		}
		t.printf("Link rows: %d", links)
		return t.printPowers(s)
	})
}

// printPowers loads every hero's powers with one query and prints them.
func (t *tutorial) printPowers(s *orm.Session) error {
	heroes, err := orm.Select[Hero](s).OrderBy("id").Preload("Powers").All(t.ctx)
	if err != nil {
		return err
	}
	for _, h := range heroes {
		var names []string
		for _, p := range h.Powers.Items() {
			names = append(names, p.Name)
		}
		if len(names) > 0 {
			t.printf("%s: %s", h.Name, strings.Join(names, ", "))
		}
	}
	return nil
}

// linkModel works with the link rows as objects: is_training is a column
// of the link model, changed and queried like any other.
func (t *tutorial) linkModel() error {
	t.step("The link model: is_training")
	return t.session(func(s *orm.Session) error {
		tarantula, err := orm.Select[Hero](s).Where("name = ?", "Tarantula").One(t.ctx)
		if err != nil {
			return err
		}
		strength, err := orm.Select[Power](s).Where("name = ?", "Super Strength").One(t.ctx)
		if err != nil {
			return err
		}
		// A link row added as an object, with its extra column.
		if err := s.Add(&HeroPowerLink{HeroID: tarantula.ID, PowerID: strength.ID, IsTraining: true}); err != nil {
			return err
		}
		// A link row written by Link gets is_training = false; change it.
		rusty, err := orm.Select[Hero](s).Where("name = ?", "Rusty-Man").One(t.ctx)
		if err != nil {
			return err
		}
		link, err := orm.GetByPK[HeroPowerLink](t.ctx, s, rusty.ID, strength.ID)
		if err != nil {
			return err
		}
		link.IsTraining = true
		t.printf("Modified link: %v", s.ModifiedAttributes(link))
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		training, err := orm.Select[HeroPowerLink](s).Filter(orm.Col("is_training").Eq(true)).OrderBy("hero_id", "power_id").All(t.ctx)
		if err != nil {
			return err
		}
		for _, l := range training {
			t.printf("Training: hero_id=%d power_id=%d is_training=%v", l.HeroID, l.PowerID, l.IsTraining)
		}

		// Unlinking and deleting a hero remove their link rows.
		deadpond, err := orm.Select[Hero](s).Where("name = ?", "Deadpond").One(t.ctx)
		if err != nil {
			return err
		}
		if err := orm.UnrelateManyToMany(s, deadpond, heroPowers, strength); err != nil {
			return err
		}
		if err := s.Delete(rusty); err != nil {
			return err
		}
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		t.printf("Deadpond gives up Super Strength; Rusty-Man is deleted")
		links, err := orm.Select[HeroPowerLink](s).Count(t.ctx)
		if err != nil {
			return err
		}
		t.printf("Link rows: %d", links)
		return t.printPowers(s)
	})
}
