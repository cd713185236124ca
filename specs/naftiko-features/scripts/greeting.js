// A script that reads nothing: a fixed answer.
result = { greeting: "hello", count: 42, flag: true };
