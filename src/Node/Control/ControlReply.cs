using System.Text.Json.Nodes;

namespace Overlay.Node.Control;

/// <summary>The answer to a control request: a body on success, or an error and one sentence.</summary>
public sealed record ControlReply(ControlError Error, string? Message, JsonObject? Body)
{
    public static ControlReply Ok(JsonObject body) => new(ControlError.None, null, body);

    public static ControlReply Fail(ControlError error, string message) => new(error, message, null);
}
