package hold

// SetAfterQuery installs a hook that runs after each batch's query and
// before its answers are given.
func (a *Answers) SetAfterQuery(f func(batch int)) { a.afterQuery = f }
