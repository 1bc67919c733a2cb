using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Overlay.Node.Configuration;

/// <summary>
/// Checks the JSON kind of every configured value against the type of the option it sets, before the
/// binder sees it. The binder reads every value as text and a list as numbered children, so without
/// this a string where a list belongs is ignored, a <c>null</c> where a number belongs reads as 0, and
/// a number where a duration belongs reads as days, all without a word.
/// </summary>
/// <remarks>
/// The rules (README, "Configuration"): numbers are JSON numbers; booleans are <c>true</c> or
/// <c>false</c>; text, durations and enumeration names are strings in quotes; lists are JSON arrays,
/// even with one entry; a section is an object. <c>null</c> is accepted only where the documented
/// default is <c>null</c>, and means "not set". Keys are not case-sensitive, so one object may not
/// name a key twice in different cases, and a key holds no ':' (write nested objects instead).
/// </remarks>
public static class ConfigurationTypes
{
    private static readonly NullabilityInfoContext Nullability = new();

    /// <summary>
    /// Every problem in <paramref name="root"/> (a JSON object, the whole file), one sentence each, naming
    /// <paramref name="origin"/>, the key, the value given and the kind of value expected.
    /// </summary>
    public static IReadOnlyList<string> Check(JsonElement root, string origin, IReadOnlyDictionary<string, Type> sections)
    {
        ArgumentNullException.ThrowIfNull(sections);
        var problems = new List<string>();
        CheckNames(root, string.Empty, origin, problems);
        if (problems.Count > 0 || root.ValueKind != JsonValueKind.Object)
        {
            return problems;
        }

        foreach (var property in root.EnumerateObject())
        {
            if (!OptionsSections.PassThrough.Contains(property.Name) && OptionsSections.TryFind(sections, property.Name, out var type))
            {
                CheckValue(property.Value, type, nullable: false, property.Name, origin, problems);
            }
        }

        return problems;
    }

    /// <summary>What a JSON value for <paramref name="type"/> must be, in words; null for a type these rules do not cover.</summary>
    public static string? Describe(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            return Describe(underlying) is { } inner ? inner + " or null" : null;
        }

        return KindOf(type) switch
        {
            ValueKind.Boolean => "true or false",
            ValueKind.WholeNumber => "a whole number",
            ValueKind.Number => "a number",
            ValueKind.Text => "a string in quotes",
            ValueKind.Duration => "a duration in quotes such as \"00:00:30\"",
            ValueKind.Name => "one of " + string.Join(", ", Enum.GetNames(type).Select(n => $"\"{n}\"")),
            ValueKind.List => ElementType(type) is { } element && Describe(element) is { } each ? $"a list in square brackets, each entry {each}" : null,
            ValueKind.Section => "an object of settings in braces",
            _ => null,
        };
    }

    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "A nested section's class is a property's type; the options classes hold none (their properties are numbers, text, durations, names and lists), so trimming has nothing to keep there.")]
    private static void CheckValue(JsonElement value, [DynamicallyAccessedMembers(OptionsSections.ReadMembers)] Type type, bool nullable, string path, string origin, List<string> problems)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            type = underlying;
            nullable = true;
        }

        if (value.ValueKind == JsonValueKind.Null)
        {
            if (!nullable)
            {
                problems.Add(Problem(origin, path, value, type, nullable));
            }

            return;
        }

        var kind = KindOf(type);
        var fits = kind switch
        {
            ValueKind.Boolean => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            ValueKind.WholeNumber or ValueKind.Number => value.ValueKind == JsonValueKind.Number,
            ValueKind.Text => value.ValueKind == JsonValueKind.String,
            // The binder skips an empty string where a duration belongs, leaving the default without a word.
            ValueKind.Duration => value.ValueKind == JsonValueKind.String && value.GetRawText().Length > 2,
            ValueKind.Name => value.ValueKind == JsonValueKind.String && IsDefinedName(type, value),
            ValueKind.List => value.ValueKind == JsonValueKind.Array,
            ValueKind.Section => value.ValueKind == JsonValueKind.Object,
            _ => true,
        };
        if (!fits)
        {
            problems.Add(Problem(origin, path, value, type, nullable));
            return;
        }

        if (kind == ValueKind.List && ElementType(type) is { } element)
        {
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                CheckValue(item, element, nullable: false, string.Create(CultureInfo.InvariantCulture, $"{path}:{index++}"), origin, problems);
            }
        }
        else if (kind == ValueKind.Section)
        {
            foreach (var property in value.EnumerateObject())
            {
                // Unknown keys are reported as warnings by UnknownKeys; only the known ones have a type.
                var option = type.GetProperty(property.Name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
                if (option is not null)
                {
                    CheckValue(property.Value, option.PropertyType, IsNullable(option), $"{path}:{option.Name}", origin, problems);
                }
            }
        }
    }

    /// <summary>Key names: no ':' (the configuration's own path separator) and no name twice in one object.</summary>
    private static void CheckNames(JsonElement value, string path, string origin, List<string> problems)
    {
        if (value.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                CheckNames(item, string.Create(CultureInfo.InvariantCulture, $"{path}:{index++}"), origin, problems);
            }

            return;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in value.EnumerateObject())
        {
            var key = path.Length == 0 ? property.Name : $"{path}:{property.Name}";
            if (property.Name.Contains(':', StringComparison.Ordinal))
            {
                problems.Add($"In {origin}, the key '{Shorten(key)}' holds a ':'; write nested objects instead, such as {{\"Dht\": {{\"K\": 20}}}}.");
            }
            else if (seen.TryGetValue(property.Name, out var first))
            {
                var firstKey = path.Length == 0 ? first : $"{path}:{first}";
                problems.Add($"In {origin}, '{Shorten(key)}' repeats '{Shorten(firstKey)}'; keys are not case-sensitive, so give each setting once.");
            }
            else
            {
                seen.Add(property.Name, property.Name);
            }

            CheckNames(property.Value, key, origin, problems);
        }
    }

    private static string Problem(string origin, string path, JsonElement value, Type type, bool nullable)
    {
        var expected = Describe(type) ?? type.Name;
        if (nullable && !expected.EndsWith(" or null", StringComparison.Ordinal))
        {
            expected += " or null (not set)";
        }

        // The commonest slip: one address given where a list is expected.
        var hint = KindOf(type) == ValueKind.List && value.ValueKind == JsonValueKind.String ? $", such as [{Shorten(value.GetRawText())}]" : string.Empty;
        return $"In {origin}, '{path}' is {Show(value)}; it must be {expected}{hint}.";
    }

    private static string Show(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.String => "the string " + Shorten(value.GetRawText()),
        JsonValueKind.Number => "the number " + Shorten(value.GetRawText()),
        JsonValueKind.Array => "the list " + Shorten(value.GetRawText()),
        _ => "the object " + Shorten(value.GetRawText()),
    };

    /// <summary>Raw JSON text on one line, at most 60 characters.</summary>
    private static string Shorten(string text)
    {
        var line = new StringBuilder(Math.Min(text.Length, 64));
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                space = line.Length > 0;
                continue;
            }

            if (space)
            {
                line.Append(' ');
                space = false;
            }

            line.Append(c);
            if (line.Length > 60)
            {
                return line.ToString(0, 57) + "...";
            }
        }

        return line.ToString();
    }

    private static bool IsDefinedName(Type type, JsonElement value)
    {
        // Names only: the binder would also take "1" or "Normal, Full", which no one means.
        string text;
        try
        {
            text = value.GetString() ?? string.Empty;
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate: no name.
            return false;
        }

        foreach (var name in Enum.GetNames(type))
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsNullable(PropertyInfo property)
    {
        if (Nullable.GetUnderlyingType(property.PropertyType) is not null)
        {
            return true;
        }

        if (property.PropertyType.IsValueType)
        {
            return false;
        }

        // NullabilityInfoContext caches into a plain dictionary and is not safe for concurrent use: configurations
        // checked on two threads at once (parallel tests, or a reload beside a start) corrupted it for the process.
        lock (Nullability)
        {
            return Nullability.Create(property).WriteState == NullabilityState.Nullable;
        }
    }

    private static Type? ElementType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        return type.IsGenericType && type.GetGenericArguments() is [var element] ? element : null;
    }

    private static ValueKind KindOf(Type type)
    {
        if (type == typeof(bool))
        {
            return ValueKind.Boolean;
        }

        if (type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte)
            || type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(sbyte))
        {
            return ValueKind.WholeNumber;
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return ValueKind.Number;
        }

        if (type == typeof(string))
        {
            return ValueKind.Text;
        }

        if (type == typeof(TimeSpan))
        {
            return ValueKind.Duration;
        }

        if (type.IsEnum)
        {
            return ValueKind.Name;
        }

        if (type.IsArray || (type.IsGenericType && typeof(System.Collections.IEnumerable).IsAssignableFrom(type)))
        {
            return ValueKind.List;
        }

        return type.IsClass ? ValueKind.Section : ValueKind.Unknown;
    }

    private enum ValueKind
    {
        Unknown,
        Boolean,
        WholeNumber,
        Number,
        Text,
        Duration,
        Name,
        List,
        Section,
    }
}
