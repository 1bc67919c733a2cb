using System.Globalization;

namespace Overlay.Node.Files;

/// <summary>Bytes <see cref="First"/> to <see cref="Last"/> of a file, both included (as HTTP ranges and <c>--range A-B</c>).</summary>
public readonly record struct ByteRange(long First, long Last)
{
    /// <summary>Parses "A-B" (decimal, A ≤ B); false for anything else.</summary>
    public static bool TryParse(string? text, out ByteRange range)
    {
        range = default;
        var dash = text?.IndexOf('-', StringComparison.Ordinal) ?? -1;
        if (text is null || dash <= 0 ||
            !long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var first) ||
            !long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var last) || last < first)
        {
            return false;
        }

        range = new ByteRange(first, last);
        return true;
    }

    /// <summary>The number of bytes in the range.</summary>
    public long Length => Last - First + 1;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{First}-{Last}");
}
