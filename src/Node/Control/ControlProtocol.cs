using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace Overlay.Node.Control;

/// <summary>
/// Framing of the control API (docs/PROTOCOL.md, "Control API"): each request and reply is a 4-byte
/// big-endian length followed by that many bytes of UTF-8 JSON. Parsing never throws on client bytes.
/// </summary>
public static class ControlProtocol
{
    /// <summary>Largest reply a client accepts (a peers listing of a full routing table fits easily).</summary>
    public const int MaxReplyBytes = 16 << 20;

    /// <summary>Request size limit for a daemon whose records hold at most <paramref name="maxValueBytes"/>: the value in base64 plus room for the other fields.</summary>
    public static int MaxRequestBytes(int maxValueBytes) => ((maxValueBytes + 2) / 3 * 4) + 8192;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 4, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>Reads one frame; null at a clean end of stream before a header. Throws <see cref="ControlProtocolException"/> for a bad length.</summary>
    public static async Task<byte[]?> ReadFrameAsync(Stream stream, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new byte[4];
        var got = await stream.ReadAtLeastAsync(header, 4, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (got == 0)
        {
            return null;
        }

        if (got < 4)
        {
            throw new ControlProtocolException(ControlError.Malformed, "The stream ended inside a frame header.");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length == 0)
        {
            throw new ControlProtocolException(ControlError.Malformed, "The frame is empty.");
        }

        // Checked before allocating: the length is the client's claim.
        if (length > (uint)maxBytes)
        {
            throw new ControlProtocolException(ControlError.TooLarge, $"The frame declares {length} bytes; at most {maxBytes} are accepted.");
        }

        var body = new byte[length];
        var read = await stream.ReadAtLeastAsync(body, body.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < body.Length)
        {
            throw new ControlProtocolException(ControlError.Malformed, "The stream ended inside a frame.");
        }

        return body;
    }

    /// <summary>Writes one frame holding <paramref name="json"/>.</summary>
    public static async Task WriteFrameAsync(Stream stream, JsonObject json, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(json);
        // The object writes itself: JsonSerializer would first build its reflection metadata, which cost
        // every short-lived CLI process more start-up than the rest of the request.
        var body = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(body))
        {
            json.WriteTo(writer);
        }

        var frame = new byte[4 + body.WrittenCount];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)body.WrittenCount);
        body.WrittenSpan.CopyTo(frame.AsSpan(4));
        await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Decodes a request frame's body: UTF-8 JSON holding one object whose fields <c>token</c>,
    /// <c>command</c>, <c>key</c> and <c>value</c> are strings when present, <c>value</c> in base64.
    /// False with one sentence (a <see cref="ControlError.Malformed"/> reply) for anything else; never throws.
    /// </summary>
    public static bool TryDecodeRequest(ReadOnlySpan<byte> body, [NotNullWhen(true)] out ControlRequestFrame? request, out string error)
    {
        request = null;
        if (!TryParseObject(body, out var json, out error))
        {
            return false;
        }

        if (!TryGetString(json, "token", out var token) || !TryGetString(json, "command", out var command) ||
            !TryGetString(json, "key", out var key) || !TryGetString(json, "value", out var valueText))
        {
            error = "The fields token, command, key and value must be strings when present.";
            return false;
        }

        byte[]? value = null;
        if (valueText is not null)
        {
            value = new byte[(valueText.Length / 4 * 3) + 3];
            if (!Convert.TryFromBase64String(valueText, value, out var n))
            {
                error = "The value is not base64.";
                return false;
            }

            value = value[..n];
        }

        request = new ControlRequestFrame(token, command, key, value);
        return true;
    }

    /// <summary>Parses a frame body as a JSON object; false with one sentence when it is not one.</summary>
    public static bool TryParseObject(ReadOnlySpan<byte> body, out JsonObject json, out string error)
    {
        json = [];
        // Checked whole and first: the JSON reader leaves string contents undecoded until they are read,
        // so bad UTF-8 inside a string would otherwise surface later, as an exception, far from here.
        if (!Utf8.IsValid(body))
        {
            error = "The frame is not valid UTF-8.";
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = DocumentOptions.MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
            if (JsonNode.Parse(ref reader, new JsonNodeOptions { PropertyNameCaseInsensitive = false }) is not JsonObject parsed || reader.BytesConsumed != body.Length)
            {
                error = "The frame is not one JSON object.";
                return false;
            }

            // JsonObject builds its dictionary lazily: force it here, so a duplicate name fails inside this try.
            _ = parsed.Count;
            json = parsed;
            error = string.Empty;
            return true;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            // ArgumentException: a duplicate property name.
            error = "The frame is not valid JSON.";
            return false;
        }
    }

    /// <summary>The string property <paramref name="name"/>: null when absent; false when present but not a string (or not a valid one).</summary>
    public static bool TryGetString(JsonObject json, string name, out string? value)
    {
        ArgumentNullException.ThrowIfNull(json);
        value = null;
        if (!json.TryGetPropertyValue(name, out var node) || node is null)
        {
            return true;
        }

        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            return false;
        }

        try
        {
            value = v.GetValue<string>();
            return true;
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate ("\ud800") has no string value.
            return false;
        }
    }

    /// <summary>Builds an error reply body.</summary>
    public static JsonObject ErrorBody(ControlError error, string message) => new()
    {
        ["ok"] = false,
        ["error"] = error.ToString(),
        ["message"] = message,
    };
}
