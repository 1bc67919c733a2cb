using System.Text.Json;
using Overlay.Crypto.MlDsa;
using Overlay.Testing;

namespace Overlay.Crypto.Tests.MlDsaTests;

/// <summary>
/// One ACVP test case with its group's fields, the prompt's fields and the expected result's fields merged,
/// joined on tgId + tcId. Byte strings stay hex until asked for.
/// </summary>
public sealed class AcvpCase(int groupId, int caseId, Dictionary<string, string> fields)
{
    public int GroupId { get; } = groupId;

    public int CaseId { get; } = caseId;

    public string this[string name] => fields[name];

    public bool Has(string name) => fields.ContainsKey(name);

    public byte[] Bytes(string name) => Hex.Decode(fields[name]);

    public bool Flag(string name) => fields.TryGetValue(name, out var value) && value == "true";

    public MlDsaParameterSet ParameterSet => fields["parameterSet"] switch
    {
        "ML-DSA-44" => MlDsaParameterSet.MlDsa44,
        "ML-DSA-65" => MlDsaParameterSet.MlDsa65,
        "ML-DSA-87" => MlDsaParameterSet.MlDsa87,
        var other => throw new InvalidDataException($"Unknown parameterSet '{other}'."),
    };

    public string Describe()
    {
        var kind = fields.GetValueOrDefault("signatureInterface", "keyGen");
        if (fields.TryGetValue("preHash", out var preHash))
        {
            kind += "/" + preHash;
        }

        if (Flag("externalMu"))
        {
            kind += "/externalMu";
        }

        if (fields.TryGetValue("deterministic", out var deterministic))
        {
            kind += deterministic == "true" ? "/deterministic" : "/hedged";
        }

        return $"{fields["parameterSet"]} {kind} tg{GroupId}";
    }
}

/// <summary>Loads one ACVP folder (prompt.json joined with expectedResults.json) once per process.</summary>
public static class AcvpVectors
{
    public static readonly Lazy<IReadOnlyDictionary<int, AcvpCase>> KeyGen = new(() => Load("ML-DSA-keyGen-FIPS204"));
    public static readonly Lazy<IReadOnlyDictionary<int, AcvpCase>> SigGen = new(() => Load("ML-DSA-sigGen-FIPS204"));
    public static readonly Lazy<IReadOnlyDictionary<int, AcvpCase>> SigVer = new(() => Load("ML-DSA-sigVer-FIPS204"));

    public static TheoryData<int, string> CaseIds(Lazy<IReadOnlyDictionary<int, AcvpCase>> file)
    {
        var data = new TheoryData<int, string>();
        foreach (var (id, c) in file.Value.OrderBy(x => x.Key))
        {
            data.Add(id, c.Describe());
        }

        return data;
    }

    private static Dictionary<int, AcvpCase> Load(string folder)
    {
        var expected = new Dictionary<(int, int), Dictionary<string, string>>();
        using (var document = Parse(folder + "/expectedResults.json"))
        {
            foreach (var group in document.RootElement.GetProperty("testGroups").EnumerateArray())
            {
                var groupId = group.GetProperty("tgId").GetInt32();
                foreach (var test in group.GetProperty("tests").EnumerateArray())
                {
                    expected[(groupId, test.GetProperty("tcId").GetInt32())] = Fields(test);
                }
            }
        }

        var cases = new Dictionary<int, AcvpCase>();
        using (var document = Parse(folder + "/prompt.json"))
        {
            foreach (var group in document.RootElement.GetProperty("testGroups").EnumerateArray())
            {
                var groupId = group.GetProperty("tgId").GetInt32();
                var groupFields = Fields(group);
                foreach (var test in group.GetProperty("tests").EnumerateArray())
                {
                    var caseId = test.GetProperty("tcId").GetInt32();
                    var merged = new Dictionary<string, string>(groupFields);
                    foreach (var (name, value) in Fields(test))
                    {
                        merged[name] = value;
                    }

                    foreach (var (name, value) in expected[(groupId, caseId)])
                    {
                        merged[name] = value;
                    }

                    cases.Add(caseId, new AcvpCase(groupId, caseId, merged));
                }
            }
        }

        return cases;
    }

    private static JsonDocument Parse(string relative)
    {
        using var stream = File.OpenRead(TestData.PathOf("ml-dsa/" + relative));
        return JsonDocument.Parse(stream);
    }

    private static Dictionary<string, string> Fields(JsonElement element)
    {
        var fields = new Dictionary<string, string>();
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Value.ValueKind)
            {
                case JsonValueKind.String:
                    fields[property.Name] = property.Value.GetString()!;
                    break;
                case JsonValueKind.True:
                    fields[property.Name] = "true";
                    break;
                case JsonValueKind.False:
                    fields[property.Name] = "false";
                    break;
                case JsonValueKind.Number:
                    fields[property.Name] = property.Value.GetRawText();
                    break;
            }
        }

        return fields;
    }

    /// <summary>The ACVP hash names HashML-DSA takes; null for a name this implementation does not know.</summary>
    public static MlDsaPreHashAlgorithm? PreHashAlgorithm(string acvpName) => acvpName switch
    {
        "SHA2-224" => MlDsaPreHashAlgorithm.Sha2Bits224,
        "SHA2-512/224" => MlDsaPreHashAlgorithm.Sha2Bits512T224,
        "SHA2-512/256" => MlDsaPreHashAlgorithm.Sha2Bits512T256,
        "SHA2-256" => MlDsaPreHashAlgorithm.Sha2Bits256,
        "SHA2-384" => MlDsaPreHashAlgorithm.Sha2Bits384,
        "SHA2-512" => MlDsaPreHashAlgorithm.Sha2Bits512,
        "SHA3-224" => MlDsaPreHashAlgorithm.Sha3Bits224,
        "SHA3-256" => MlDsaPreHashAlgorithm.Sha3Bits256,
        "SHA3-384" => MlDsaPreHashAlgorithm.Sha3Bits384,
        "SHA3-512" => MlDsaPreHashAlgorithm.Sha3Bits512,
        "SHAKE-128" => MlDsaPreHashAlgorithm.Shake128,
        "SHAKE-256" => MlDsaPreHashAlgorithm.Shake256,
        _ => null,
    };
}
