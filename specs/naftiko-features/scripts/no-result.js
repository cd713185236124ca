// Reads its input and assigns no `result`: the step has no output.
var seen = context.org;
