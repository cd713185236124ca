// The items of `fetch-items` whose stock is below the step's `threshold` (a `with` value).
var threshold = Number(context.threshold);
result = context["fetch-items"].filter(function (item) {
  return item.stock < threshold;
});
