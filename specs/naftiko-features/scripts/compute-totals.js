// The total amount and number of the orders of the `get-orders` step.
var orders = context["get-orders"];
var total = 0;
for (var i = 0; i < orders.length; i++) {
  total += orders[i].amount;
}
result = { totalAmount: total, orderCount: orders.length };
