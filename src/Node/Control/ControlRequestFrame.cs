namespace Overlay.Node.Control;

/// <summary>
/// One decoded request frame, before its token is checked: every field a string when present
/// (<see cref="Value"/> already decoded from base64), null when absent.
/// </summary>
public sealed record ControlRequestFrame(string? Token, string? Command, string? Key, byte[]? Value);
