using System.Text.Json;
using Overlay.Testing;

namespace Overlay.Crypto.Tests.Sodium;

/// <summary>Reads one Project Wycheproof vector file from the shared test data.</summary>
internal static class Wycheproof
{
    public static JsonDocument Load(string fileName)
    {
        using var stream = File.OpenRead(TestData.PathOf("wycheproof/" + fileName));
        return JsonDocument.Parse(stream);
    }

    public static byte[] Bytes(JsonElement test, string property) => Hex.Decode(test.GetProperty(property).GetString()!);

    public static string Result(JsonElement test) => test.GetProperty("result").GetString()!;

    public static int Id(JsonElement test) => test.GetProperty("tcId").GetInt32();

    public static bool HasFlag(JsonElement test, string flag)
    {
        foreach (var f in test.GetProperty("flags").EnumerateArray())
        {
            if (f.GetString() == flag)
            {
                return true;
            }
        }

        return false;
    }
}
