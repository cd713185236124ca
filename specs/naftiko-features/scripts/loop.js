// Never ends: the statement limit stops it.
while (true) {
  var x = 1;
}
