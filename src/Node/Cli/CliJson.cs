namespace Overlay.Node.Cli;

/// <summary>How commands print JSON for scripts (<c>--json</c>).</summary>
internal static class CliJson
{
    /// <summary>
    /// Indented, with relaxed escaping so '+' in times and base64 stays readable: the output goes to a
    /// terminal or a file, never into HTML.
    /// </summary>
    public static readonly System.Text.Json.JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
