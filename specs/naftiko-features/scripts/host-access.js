// Reaches for the host (a Java class, as in the engine's sandbox test): there is none.
var runtime = java.lang.Runtime.getRuntime();
result = runtime.totalMemory();
