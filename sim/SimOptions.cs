using System.Globalization;
using System.Reflection;
using Overlay.Dht;

namespace Overlay.Sim;

/// <summary>
/// <c>--option NAME=VALUE</c>: sets one <see cref="DhtOptions"/> property by name, public or internal (the
/// internal ones are measurement switches, such as the lookup's final phase), so that each lookup lever
/// can be measured on and off with one command; <c>--transport-option NAME=VALUE</c> likewise sets one
/// <see cref="Overlay.Transport.TransportOptions"/> property, and <c>--placement-option NAME=VALUE</c> one
/// <see cref="Overlay.Placement.PlacementOptions"/> property of every whole node.
/// </summary>
internal static class SimOptions
{
    /// <summary>Sets every one of <paramref name="settings"/> on <paramref name="options"/>, then validates them; false with the first problem (or all validation failures).</summary>
    public static bool TryApply(object options, IEnumerable<string> settings, Func<IReadOnlyList<string>> validate, out string problem)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(validate);
        foreach (var setting in settings)
        {
            if (!TrySet(options, setting, out problem))
            {
                return false;
            }
        }

        var failures = validate();
        problem = string.Join(" ", failures);
        return failures.Count == 0;
    }

    public static bool TrySet(object options, string setting, out string problem)
    {
        ArgumentNullException.ThrowIfNull(options);
        var at = setting.IndexOf('=', StringComparison.Ordinal);
        var name = setting[..at];
        var text = setting[(at + 1)..];
        var property = options.GetType().GetProperty(name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.IgnoreCase);
        if (property is null || !property.CanWrite)
        {
            problem = $"{setting}: {options.GetType().Name} has no settable property '{name}'.";
            return false;
        }

        object? value = null;
        var type = property.PropertyType;
        var c = CultureInfo.InvariantCulture;
        if (type == typeof(int) && int.TryParse(text, NumberStyles.Integer, c, out var i))
        {
            value = i;
        }
        else if (type == typeof(double) && double.TryParse(text, NumberStyles.Float, c, out var d))
        {
            value = d;
        }
        else if (type == typeof(bool) && bool.TryParse(text, out var b))
        {
            value = b;
        }
        else if (type == typeof(TimeSpan) && TimeSpan.TryParse(text, c, out var t))
        {
            value = t;
        }

        if (value is null)
        {
            problem = $"{setting}: '{text}' is not a valid {type.Name} for {property.Name}.";
            return false;
        }

        property.SetValue(options, value);
        problem = string.Empty;
        return true;
    }

    /// <summary>", NAME=VALUE" for every property that differs from the defaults and the simulator's own settings.</summary>
    public static string Describe(DhtOptions options) => Describe(options, DhtNetworkRun.DefaultOptions(options.PreferLowLatency));

    /// <summary>", NAME=VALUE" for every property of <paramref name="options"/> that differs from <paramref name="baseline"/>'s.</summary>
    public static string Describe<T>(T options, T baseline)
        where T : class
    {
        var text = new System.Text.StringBuilder();
        foreach (var property in typeof(T).GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            // Settings only: lists are compared by reference, so they would always differ.
            if (!property.PropertyType.IsValueType && property.PropertyType != typeof(string))
            {
                continue;
            }

            var value = property.GetValue(options);
            if (property.CanWrite && !Equals(value, property.GetValue(baseline)))
            {
                text.Append(CultureInfo.InvariantCulture, $", {property.Name}={value}");
            }
        }

        return text.ToString();
    }
}
