using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;

namespace Overlay.Node.Tests;

/// <summary>
/// A value of the wrong JSON kind is an error naming the file, the key, the value and the kind expected,
/// never ignored or read as something else. Loaded the way <c>overlay run</c> loads it: the data
/// directory's node.config.json under a <c>--config</c> file.
/// </summary>
public sealed class ConfigurationTypeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-config-types").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("ListenAddresses")]
    [InlineData("BootstrapPeers")]
    public void Load_AnAddressListGivenAsOneString_IsAnErrorNamingKeyValueAndType(string key)
    {
        var problems = Problems($$"""{ "Transport": { "{{key}}": "tcp://127.0.0.1:23020" } }""");

        var problem = Assert.Single(problems);
        Assert.Contains($"'Transport:{key}' is the string \"tcp://127.0.0.1:23020\"; it must be a list", problem, StringComparison.Ordinal);
        Assert.Contains("[\"tcp://127.0.0.1:23020\"]", problem, StringComparison.Ordinal);
        Assert.Contains(_configFile!, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NullForANumber_IsReportedAsNull_NotAsZero()
    {
        var problem = Assert.Single(Problems("""{ "Dht": { "K": null } }"""));
        Assert.Contains("'Dht:K' is null; it must be a whole number.", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NullWhereTheDefaultIsNull_MeansNotSet_EvenOverAnEarlierFile()
    {
        File.WriteAllText(Path.Combine(_dir, ConfigurationSources.FileName), """{ "Node": { "Latitude": 10, "Longitude": 20 } }""");
        var settings = Load("""{ "Node": { "Latitude": null, "Longitude": null } }""");

        Assert.Empty(NodeHostFactory.Validate(settings));
        var node = Bind<NodeOptions>(settings, NodeOptions.SectionName);
        Assert.Null(node.Latitude);
        Assert.Null(node.Longitude);
    }

    [Fact]
    public void Load_TrailingCommasAndComments_AreAccepted_AndBindAsWithoutThem()
    {
        var loose = Load("""
            // comments and trailing commas are allowed: the file is edited by hand
            { "Dht": { "K": 12, "Alpha": 2, }, "Transport": { "BootstrapPeers": [ "tcp://127.0.0.1:5000", ], }, }
            """);
        var strict = Load("""{ "Dht": { "K": 12, "Alpha": 2 }, "Transport": { "BootstrapPeers": [ "tcp://127.0.0.1:5000" ] } }""");

        Assert.Empty(NodeHostFactory.Validate(loose));
        Assert.Equal(JsonSerializer.Serialize(Bind<Overlay.Dht.DhtOptions>(strict, "Dht")), JsonSerializer.Serialize(Bind<Overlay.Dht.DhtOptions>(loose, "Dht")));
        Assert.Equal(["tcp://127.0.0.1:5000"], Bind<Overlay.Transport.TransportOptions>(loose, "Transport").BootstrapPeers);
    }

    [Fact]
    public void Load_OneKeyTwiceInDifferentCase_IsAConfigurationErrorNamingBoth()
    {
        var problem = Assert.Single(Problems("""{ "Dht": { "K": 20, "k": 3 } }"""));
        Assert.Contains("'Dht:k' repeats 'Dht:K'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AKeyWithAColon_IsAnError_SoNoValueSlipsPastTheTypeCheck()
    {
        var problem = Assert.Single(Problems("""{ "Dht:K": null }"""));
        Assert.Contains("'Dht:K' holds a ':'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AListInALaterFile_ReplacesTheEarlierListWhole()
    {
        File.WriteAllText(Path.Combine(_dir, ConfigurationSources.FileName),
            """{ "Transport": { "ListenAddresses": [ "tcp://127.0.0.1:5001", "tcp://127.0.0.1:5002" ], "BootstrapPeers": [ "tcp://127.0.0.1:6000" ] } }""");
        var settings = Load("""{ "Transport": { "ListenAddresses": [ "tcp://127.0.0.1:5003" ], "BootstrapPeers": [] } }""");

        var transport = Bind<Overlay.Transport.TransportOptions>(settings, "Transport");
        Assert.Equal(["tcp://127.0.0.1:5003"], transport.ListenAddresses);
        Assert.Empty(transport.BootstrapPeers);
    }

    [Fact]
    public void EveryOptionsProperty_HasAJsonKindRule()
    {
        foreach (var (section, type) in NodeHostFactory.Sections)
        {
            foreach (var property in type.GetProperties())
            {
                Assert.True(ConfigurationTypes.Describe(property.PropertyType) is not null, $"{section}:{property.Name} ({property.PropertyType}) has no rule");
            }
        }
    }

    [Fact]
    public void Load_EveryKeyOfEverySection_GivenEveryKindOfValue_IsATypedErrorNamingTheKey_OrBindsExactlyThatValue()
    {
        var random = new Random(2107);
        var checkedCases = 0;
        foreach (var (section, type) in NodeHostFactory.Sections)
        {
            // The section itself given as something other than an object.
            foreach (var kind in Kinds.Where(k => k != JsonValueKind.Object))
            {
                var problems = Problems($$"""{ "{{section}}": {{RandomValue(kind, random)}} }""");
                Assert.Contains(problems, p => p.Contains($"'{section}'", StringComparison.Ordinal));
            }

            foreach (var property in type.GetProperties())
            {
                foreach (var kind in Kinds)
                {
                    for (var i = 0; i < 3; i++)
                    {
                        var value = RandomValue(kind, random);
                        var key = $"{section}:{property.Name}";
                        var (problems, settings) = TryLoad($$"""{ "{{section}}": { "{{property.Name}}": {{value}} } }""");
                        checkedCases++;
                        if (!Accepts(property, kind))
                        {
                            Assert.True(problems.Any(p => p.Contains($"'{key}' is ", StringComparison.Ordinal) && p.Contains("it must be", StringComparison.Ordinal)),
                                $"{key} = {value}: {string.Join(" | ", problems)}");
                            continue;
                        }

                        // The right kind: either a problem that names the key, or the value bound as given.
                        if (problems.Count > 0)
                        {
                            // A value that narrows another key's range (Placement:MaxReplicas below BaseReplicas) is reported on the key it put out of range.
                            Assert.True(
                                problems.Any(p => p.Contains(key, StringComparison.Ordinal) || (p.Contains($"{section}:", StringComparison.Ordinal) && p.Contains("it must be", StringComparison.Ordinal))),
                                $"{key} = {value}: {string.Join(" | ", problems)}");
                            continue;
                        }

                        var bound = Activator.CreateInstance(type)!;
                        OptionsRegistration.BindStrict(settings!.Configuration.GetSection(section), bound);
                        AssertBoundAsGiven(key, value, property.GetValue(bound));
                    }
                }
            }
        }

        Assert.True(checkedCases > 1000, $"only {checkedCases} cases");
    }

    private static readonly JsonValueKind[] Kinds =
        [JsonValueKind.String, JsonValueKind.Number, JsonValueKind.True, JsonValueKind.Array, JsonValueKind.Object, JsonValueKind.Null];

    /// <summary>The documented rules, written out independently of the code under test.</summary>
    private static bool Accepts(PropertyInfo property, JsonValueKind kind)
    {
        var type = property.PropertyType;
        var nullable = Nullable.GetUnderlyingType(type) is not null
            || (!type.IsValueType && new NullabilityInfoContext().Create(property).WriteState == NullabilityState.Nullable);
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (kind == JsonValueKind.Null)
        {
            return nullable;
        }

        if (type == typeof(bool))
        {
            return kind == JsonValueKind.True;
        }

        if (type == typeof(int) || type == typeof(long) || type == typeof(double))
        {
            return kind == JsonValueKind.Number;
        }

        if (type == typeof(string) || type == typeof(TimeSpan) || type.IsEnum)
        {
            return kind == JsonValueKind.String;
        }

        if (typeof(System.Collections.IEnumerable).IsAssignableFrom(type))
        {
            return kind == JsonValueKind.Array;
        }

        throw new InvalidOperationException($"{property.Name} has type {type}, which this test does not know; add its rule here and to the README.");
    }

    private static void AssertBoundAsGiven(string key, string json, object? bound)
    {
        using var document = JsonDocument.Parse(json);
        var given = document.RootElement;
        switch (given.ValueKind)
        {
            case JsonValueKind.Null:
                Assert.Null(bound);
                break;
            case JsonValueKind.True or JsonValueKind.False:
                Assert.Equal(given.GetBoolean(), bound);
                break;
            case JsonValueKind.Number:
                Assert.Equal(given.GetDouble(), Convert.ToDouble(bound, CultureInfo.InvariantCulture));
                break;
            case JsonValueKind.String when bound is TimeSpan span:
                Assert.Equal(TimeSpan.Parse(given.GetString()!, CultureInfo.InvariantCulture), span);
                break;
            case JsonValueKind.String when bound is Enum name:
                Assert.Equal(given.GetString(), name.ToString(), ignoreCase: true);
                break;
            case JsonValueKind.String:
                Assert.Equal(given.GetString(), bound);
                break;
            case JsonValueKind.Array:
                Assert.Equal(given.EnumerateArray().Select(e => e.GetString()!).ToList(), ((IEnumerable<string>)bound!).ToList());
                break;
            default:
                Assert.Fail($"{key}: {json} was accepted");
                break;
        }
    }

    private static string RandomValue(JsonValueKind kind, Random random) => kind switch
    {
        JsonValueKind.String => Pick(random, "\"\"", "\"x\"", "\"20\"", "\"true\"", "\"00:00:05\"", "\"Full\"", "\"tcp://127.0.0.1:23020\"", "\"null\"", "\"[1]\"", "\"-1\"",
            JsonSerializer.Serialize(new string((char)random.Next('a', 'z' + 1), random.Next(1, 90)))),
        JsonValueKind.Number => Pick(random, "0", "1", "-1", "2.5", "1e30", "65536", "-90.5", "7",
            random.Next(-1000, 100_000).ToString(CultureInfo.InvariantCulture), (random.NextDouble() * 400 - 200).ToString("R", CultureInfo.InvariantCulture)),
        JsonValueKind.True => Pick(random, "true", "false"),
        JsonValueKind.Array => Pick(random, "[]", "[1]", "[\"tcp://127.0.0.1:4001\"]", "[null]", "[[]]", "[{}]", "[\"a\", 2]", "[true]"),
        JsonValueKind.Object => Pick(random, "{}", "{\"0\": \"tcp://127.0.0.1:4001\"}", "{\"x\": 1}", "{\"Value\": null}"),
        _ => "null",
    };

    private static string Pick(Random random, params string[] choices) => choices[random.Next(choices.Length)];

    private string? _configFile;

    private NodeSettings Load(string json)
    {
        _configFile = Path.Combine(_dir, "config-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(_configFile, json);
        return NodeSettings.Load(_dir, _configFile, new Dictionary<string, string?>(), _ => null);
    }

    /// <summary>Every problem <c>overlay run</c> would report: a failed load, else every validation problem.</summary>
    private (IReadOnlyList<string> Problems, NodeSettings? Settings) TryLoad(string json)
    {
        try
        {
            var settings = Load(json);
            return (NodeHostFactory.Validate(settings), settings);
        }
        catch (ConfigurationException e)
        {
            return (e.Message.Split(Environment.NewLine), null);
        }
    }

    private IReadOnlyList<string> Problems(string json) => TryLoad(json).Problems;

    private static T Bind<T>(NodeSettings settings, string section)
        where T : class, new()
    {
        var options = new T();
        OptionsRegistration.BindStrict(settings.Configuration.GetSection(section), options);
        return options;
    }
}
