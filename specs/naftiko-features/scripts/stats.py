# A Python script step: capgen runs JavaScript only, so the tool holding it is left out.
result = {"count": len(context["get-orders"])}
