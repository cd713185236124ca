// Helpers evaluated before the scripts that list this file in `dependencies`.
function filterByField(items, field, value) {
  return items.filter(function (item) {
    return item[field] === value;
  });
}

function pluckFields(items, fields) {
  return items.map(function (item) {
    var picked = {};
    fields.forEach(function (field) {
      picked[field] = item[field];
    });
    return picked;
  });
}
