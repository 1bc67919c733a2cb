namespace Overlay.Node.Control;

/// <summary>One authenticated control request: the command and its arguments (already size-checked).</summary>
/// <param name="Command">The command word: <c>put</c>, <c>get</c>, <c>peers</c>, <c>id</c> or <c>status</c>.</param>
/// <param name="Key">The key text for put and get, else null.</param>
/// <param name="Value">The value bytes for put, else null.</param>
public sealed record ControlRequest(string Command, string? Key, byte[]? Value);
