using System.Text;
using System.Text.Json.Nodes;
using Overlay.Node.Control;

namespace Overlay.Node.Tests.Control;

/// <summary>
/// The control frame reader and request decoder on seeded random and mutated input: every input ends in
/// a decoded request, a typed refusal, or a clean end of stream, never in any other exception.
/// </summary>
public sealed class ControlProtocolFuzzTests
{
    private const int MaxBytes = 4096;

    private static readonly string Token = new('a', 64);

    private static readonly byte[][] ValidBodies =
    [
        Body(new JsonObject { ["token"] = Token, ["command"] = "get", ["key"] = "some key" }),
        Body(new JsonObject { ["token"] = Token, ["command"] = "put", ["key"] = "k", ["value"] = Convert.ToBase64String(new byte[40]) }),
        Body(new JsonObject { ["token"] = Token, ["command"] = "peers", ["extra"] = new JsonArray(1, 2) }),
        Body(new JsonObject { ["token"] = Token, ["command"] = "id" }),
    ];

    [Fact]
    public void TryDecodeRequest_ValidBodies_GiveTheirFields()
    {
        Assert.True(ControlProtocol.TryDecodeRequest(ValidBodies[1], out var put, out _));
        Assert.Equal(Token, put.Token);
        Assert.Equal("put", put.Command);
        Assert.Equal("k", put.Key);
        Assert.Equal(new byte[40], put.Value);
    }

    [Theory]
    [InlineData("{\"command\":\"\\ud800\"}")]
    [InlineData("{\"key\":\"\\udc00x\"}")]
    [InlineData("{\"token\":\"\\ud800\\u0041\"}")]
    public void TryDecodeRequest_EscapedLoneSurrogate_IsMalformed_NotAnException(string body)
    {
        Assert.False(ControlProtocol.TryDecodeRequest(Encoding.UTF8.GetBytes(body), out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public async Task ReadAndDecode_TwentyThousandSeededRandomAndMutatedInputs_OnlyEverTypedOutcomes()
    {
        var random = new Random(20260501);
        var outcomes = new Dictionary<string, int>();
        for (var i = 0; i < 20_000; i++)
        {
            var kind = i % 6;
            var input = Generate(kind, random);
            using var stream = new MemoryStream(input);
            try
            {
                while (await ControlProtocol.ReadFrameAsync(stream, MaxBytes, CancellationToken.None) is { } body)
                {
                    if (ControlProtocol.TryDecodeRequest(body, out var request, out var error))
                    {
                        Assert.NotEqual(2, kind);
                        // Whatever decodes holds well-formed text only.
                        foreach (var text in new[] { request.Token, request.Command, request.Key })
                        {
                            _ = text is null ? 0 : new UTF8Encoding(false, throwOnInvalidBytes: true).GetByteCount(text);
                        }

                        Tally(outcomes, "decoded");
                    }
                    else
                    {
                        Assert.False(string.IsNullOrWhiteSpace(error));
                        if (kind == 2)
                        {
                            Assert.Contains("UTF-8", error, StringComparison.Ordinal);
                        }

                        Tally(outcomes, "malformed");
                    }
                }

                Tally(outcomes, "end");
            }
            catch (ControlProtocolException e)
            {
                Assert.True(e.Error is ControlError.Malformed or ControlError.TooLarge, e.Error.ToString());
                Tally(outcomes, e.Error.ToString());
            }
        }

        foreach (var outcome in new[] { "decoded", "malformed", "end", nameof(ControlError.Malformed), nameof(ControlError.TooLarge) })
        {
            Assert.True(outcomes.GetValueOrDefault(outcome) >= 100, $"{outcome}: {outcomes.GetValueOrDefault(outcome)} ({string.Join(", ", outcomes)})");
        }
    }

    private static byte[] Generate(int kind, Random random)
    {
        var valid = ValidBodies[random.Next(ValidBodies.Length)];
        switch (kind)
        {
            case 0:
            {
                // Random bytes, often with a plausible small length in front.
                var bytes = new byte[random.Next(0, 300)];
                random.NextBytes(bytes);
                if (bytes.Length >= 4 && random.Next(2) == 0)
                {
                    bytes[0] = 0;
                    bytes[1] = 0;
                }

                return bytes;
            }

            case 1:
            {
                // Single-byte mutations of a valid frame, header included.
                var frame = RawConnection.Frame(valid);
                frame[random.Next(frame.Length)] = (byte)random.Next(256);
                return frame;
            }

            case 2:
            {
                // A byte that is never valid UTF-8 anywhere in a valid body (inside a string most of the time).
                var body = (byte[])valid.Clone();
                body[random.Next(body.Length)] = (byte)(random.Next(2) == 0 ? random.Next(0x80, 0xC0) : random.Next(0xF8, 0x100));
                return RawConnection.Frame(body);
            }

            case 3:
            {
                // A valid frame cut short, or followed by a second, mutated one.
                var frame = RawConnection.Frame(valid);
                if (random.Next(2) == 0)
                {
                    return frame[..random.Next(frame.Length)];
                }

                var second = RawConnection.Frame(ValidBodies[random.Next(ValidBodies.Length)]);
                second[random.Next(second.Length)] ^= (byte)(1 << random.Next(8));
                return [.. frame, .. second];
            }

            case 4:
            {
                // Well-formed JSON with fields of random kinds and random text, escapes included.
                var json = new JsonObject();
                foreach (var name in new[] { "token", "command", "key", "value" })
                {
                    if (random.Next(3) > 0)
                    {
                        json[name] = RandomNode(random);
                    }
                }

                var text = json.ToJsonString();
                if (random.Next(4) == 0)
                {
                    text = text.Replace("a", "\\ud800", StringComparison.Ordinal);
                }

                return RawConnection.Frame(Encoding.UTF8.GetBytes(text));
            }

            default:
            {
                // A declared length around the limit.
                var length = (uint)(MaxBytes + random.Next(-2, 3));
                var frame = new byte[4 + random.Next(0, 16)];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame, random.Next(4) == 0 ? uint.MaxValue : length);
                return frame;
            }
        }
    }

    private static JsonNode? RandomNode(Random random) => random.Next(7) switch
    {
        0 => null,
        1 => random.Next(),
        2 => new JsonArray(random.Next(), "x"),
        3 => new JsonObject { ["a"] = 1 },
        4 => random.Next(2) == 0,
        5 => Convert.ToBase64String(new byte[random.Next(0, 20)]),
        _ => new string((char)random.Next(0x20, 0x2FF), random.Next(0, 40)),
    };

    private static byte[] Body(JsonObject json) => Encoding.UTF8.GetBytes(json.ToJsonString());

    private static void Tally(Dictionary<string, int> outcomes, string outcome) => outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
}
