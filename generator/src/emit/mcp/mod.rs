//! The MCP adapter of a capability: the tool table (`mcp-tools.json`, the exact `tools/list`
//! content) and the rmcp server code that serves it.

pub mod tools;
