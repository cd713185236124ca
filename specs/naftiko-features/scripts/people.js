// The people of `list-members`, with helpers from lib/array-utils.js (a dependency).
result = pluckFields(filterByField(context["list-members"], "type", "User"), ["login", "id"]);
