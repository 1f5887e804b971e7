package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/staff"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// Every role check of the console: what each role, and no session, gets
// on each page. The admin-only actions refused to a reviewer or a
// supervisor change nothing.
func TestRoleChecks(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		ctx := context.Background()
		accountID := s.CreateAccount(t, "frozen@example.com", userPassword, "", false)
		clients := map[staff.Role]*http.Client{}
		tokens := map[staff.Role]string{}
		for _, role := range []staff.Role{staff.Reviewer, staff.Supervisor, staff.Admin} {
			_, _, c := s.StaffMember(t, string(role)+"@example.com", role)
			clients[role] = noRedirects(c)
			_, page := get(t, c, s.InternalURL+"/staff")
			tokens[role] = csrf(t, page)
		}
		target, _, _ := s.StaffMember(t, "target@example.com", staff.Reviewer)
		anonymous := noRedirects(s.Client())
		_, loginPage := get(t, anonymous, s.InternalURL+"/staff/login")
		cases := []struct {
			method, path string
			form         url.Values
			// want is the status for no session, reviewer, supervisor, admin.
			want [4]int
		}{
			{"GET", "/staff", nil, [4]int{303, 200, 200, 200}},
			{"GET", "/staff/members", nil, [4]int{303, 403, 403, 200}},
			{"POST", "/staff/members", url.Values{"email": {"new@example.com"}, "role": {"reviewer"}}, [4]int{401, 403, 403, 201}},
			{"POST", "/staff/accounts/" + accountID + "/unfreeze", url.Values{}, [4]int{401, 403, 403, 200}},
			{"POST", "/staff/members/" + target.ID + "/disable", url.Values{}, [4]int{401, 403, 403, 303}},
		}
		for _, c := range cases {
			for i, who := range []staff.Role{"", staff.Reviewer, staff.Supervisor, staff.Admin} {
				client, tok := anonymous, csrf(t, loginPage)
				if who != "" {
					client, tok = clients[who], tokens[who]
				}
				var resp *http.Response
				if c.method == "GET" {
					resp, _ = get(t, client, s.InternalURL+c.path)
				} else {
					form := url.Values{"csrf": {tok}}
					for k, v := range c.form {
						form[k] = v
					}
					resp, _ = post(t, client, s.InternalURL+c.path, form)
				}
				if resp.StatusCode != c.want[i] {
					t.Errorf("%s %s as %q: %d, want %d", c.method, c.path, who, resp.StatusCode, c.want[i])
				}
			}
		}
		// Only the admin's requests took effect: one member added, one
		// disabled, each audited with the admin as actor.
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM staff WHERE email_norm = $1", "new@example.com"); n != 1 {
			t.Errorf("%d members new@example.com", n)
		}
		if l, err := s.Staff.ByEmail(ctx, "target@example.com"); err != nil || l.State() != "disabled" {
			t.Errorf("target: %+v %v", l, err)
		}
		for _, action := range []audit.Action{audit.StaffAdded, audit.StaffDisabled} {
			if n := storetest.Count(t, s.DB, "SELECT count(*) FROM audit_events WHERE action = $1 AND actor = 'staff' AND detail LIKE '%\"staff\":\"admin@example.com\"%'", string(action)); n != 1 {
				t.Errorf("%d %s events by the admin", n, action)
			}
		}
	})
}

// SEC-SES-5: a console form post without its form token, or sent from
// another site, is refused with the console's error page, even for an
// admin, and changes nothing.
func TestConsoleFormsNeedTheirToken(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		_, _, c := s.StaffMember(t, "boss@example.com", staff.Admin)
		_, page := get(t, c, s.InternalURL+"/staff")
		form := url.Values{"email": {"sneaky@example.com"}, "role": {"admin"}}
		resp, body := post(t, noRedirects(c), s.InternalURL+"/staff/members", form)
		if resp.StatusCode != 403 || !strings.Contains(body, "This form has expired") {
			t.Fatalf("without a form token: %d\n%s", resp.StatusCode, body)
		}
		form.Set("csrf", csrf(t, page))
		req, _ := http.NewRequest("POST", s.InternalURL+"/staff/members", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body = readAll(resp)
		if resp.StatusCode != 403 || !strings.Contains(body, "sent from another site") || !strings.Contains(body, `data-page="error"`) {
			t.Fatalf("from another site: %d\n%s", resp.StatusCode, body)
		}
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM staff WHERE email_norm = $1", "sneaky@example.com"); n != 0 {
			t.Fatal("a refused post added a member")
		}
		if resp, _ := get(t, c, s.InternalURL+"/staff/members"); resp.StatusCode != 200 {
			t.Fatalf("GET still works: %d", resp.StatusCode)
		}
	})
}

// An admin adds a member (the link shown once), lists members, disables
// one (whose session ends at once), and cannot disable themselves.
func TestMembersPage(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		me, _, c := s.StaffMember(t, "lead@example.com", staff.Admin)
		other, _, otherClient := s.StaffMember(t, "leaving@example.com", staff.Reviewer)
		_, page := get(t, c, s.InternalURL+"/staff/members")
		tok := csrf(t, page)
		if strings.Contains(page, "/staff/members/"+me.ID+"/disable") || !strings.Contains(page, "/staff/members/"+other.ID+"/disable") {
			t.Fatalf("the members page offers to disable the wrong members:\n%s", page)
		}
		resp, page := post(t, c, s.InternalURL+"/staff/members", url.Values{"csrf": {tok}, "email": {"fresh@example.com"}, "role": {"supervisor"}})
		link := s.Config.StaffURL.String() + staff.EnrolPath
		if resp.StatusCode != 201 || !strings.Contains(page, link) || !strings.Contains(page, "fresh@example.com") {
			t.Fatalf("add: %d\n%s", resp.StatusCode, page)
		}
		enrol := page[strings.Index(page, link)+len(link):]
		enrol = enrol[:strings.IndexByte(enrol, '<')]
		if resp, _ := get(t, s.Client(), s.InternalURL+staff.EnrolPath+enrol); resp.StatusCode != 200 {
			t.Fatalf("the shown link: %d", resp.StatusCode)
		}
		resp, page = post(t, c, s.InternalURL+"/staff/members", url.Values{"csrf": {tok}, "email": {"Fresh@example.com"}, "role": {"admin"}})
		if resp.StatusCode != 409 || !strings.Contains(page, "A staff member with this email exists.") || !strings.Contains(page, `value="Fresh@example.com"`) {
			t.Fatalf("add again: %d\n%s", resp.StatusCode, page)
		}
		resp, page = post(t, c, s.InternalURL+"/staff/members/"+other.ID+"/disable", url.Values{"csrf": {tok}})
		if resp.StatusCode != 200 || !strings.Contains(page, `data-email="leaving@example.com" data-state="disabled"`) {
			t.Fatalf("disable: %d\n%s", resp.StatusCode, page)
		}
		if resp, _ := get(t, otherClient, s.InternalURL+"/staff"); resp.Request.URL.Path != "/staff/login" {
			t.Fatalf("the disabled member still in: %s", resp.Request.URL)
		}
		if resp, _ := post(t, c, s.InternalURL+"/staff/members/"+me.ID+"/disable", url.Values{"csrf": {tok}}); resp.StatusCode != 403 {
			t.Fatalf("disable yourself: %d", resp.StatusCode)
		}
		if resp, _ := post(t, c, s.InternalURL+"/staff/members/nope/disable", url.Values{"csrf": {tok}}); resp.StatusCode != 404 {
			t.Fatalf("disable nobody: %d", resp.StatusCode)
		}
	})
}

// An admin lifts an owner's freeze from the console; the event names them
// (SEC-AUD-6).
func TestUnfreezeFromTheConsole(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		ctx := context.Background()
		id := s.CreateAccount(t, "iced@example.com", userPassword, "", false)
		if _, err := s.Accounts.SetFrozen(ctx, s.DB, id, true); err != nil {
			t.Fatal(err)
		}
		_, _, c := s.StaffMember(t, "thaw@example.com", staff.Admin)
		_, page := get(t, c, s.InternalURL+"/staff")
		tok := csrf(t, page)
		resp, page := post(t, c, s.InternalURL+"/staff/accounts/"+id+"/unfreeze", url.Values{"csrf": {tok}})
		if resp.StatusCode != 200 || !strings.Contains(page, "Freeze lifted") || !strings.Contains(page, "iced@example.com") {
			t.Fatalf("unfreeze: %d\n%s", resp.StatusCode, page)
		}
		if acc, err := s.Accounts.ByID(ctx, s.DB, id); err != nil || acc.Frozen {
			t.Fatalf("still frozen: %v", err)
		}
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM audit_events WHERE action = 'account_unfrozen' AND actor = 'staff' AND account_id = $1 AND detail LIKE '%\"staff\":\"thaw@example.com\"%'", id); n != 1 {
			t.Fatalf("%d account_unfrozen events naming the member", n)
		}
		if resp, page = post(t, c, s.InternalURL+"/staff/accounts/"+id+"/unfreeze", url.Values{"csrf": {tok}}); resp.StatusCode != 200 || !strings.Contains(page, "Not frozen") {
			t.Fatalf("unfreeze again: %d", resp.StatusCode)
		}
		if resp, _ = post(t, c, s.InternalURL+"/staff/accounts/aaaaaaaaaaaaaaaaaaaaaaaaaa/unfreeze", url.Values{"csrf": {tok}}); resp.StatusCode != 404 {
			t.Fatalf("an unknown account: %d", resp.StatusCode)
		}
	})
}
