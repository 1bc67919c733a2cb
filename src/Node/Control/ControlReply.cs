using System.Text.Json.Nodes;

namespace Overlay.Node.Control;

/// <summary>The answer to a control request: a body on success, or an error, one sentence and optional details.</summary>
public sealed record ControlReply(ControlError Error, string? Message, JsonObject? Body)
{
    public static ControlReply Ok(JsonObject body) => new(ControlError.None, null, body);

    public static ControlReply Fail(ControlError error, string message) => new(error, message, null);

    /// <summary>A failure whose reply also carries the fields of <paramref name="details"/> (e.g. a put's <c>storedOn</c>).</summary>
    public static ControlReply Fail(ControlError error, string message, JsonObject details) => new(error, message, details);
}
