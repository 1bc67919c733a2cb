using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Overlay.Node.Configuration;

/// <summary>Binds an options section strictly and validates it when the host starts.</summary>
public static partial class OptionsRegistration
{
    public static void AddValidatedOptions<T>(this IServiceCollection services, IConfiguration configuration, string sectionName, Func<T, IEnumerable<string>> validate)
        where T : class
    {
        services.AddOptions<T>()
            .Configure(options => BindStrict(configuration.GetSection(sectionName), options))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(new ProblemValidator<T>(validate));
    }

    /// <summary>Binds <paramref name="section"/> onto <paramref name="options"/>, turning conversion failures into one sentence.</summary>
    public static void BindStrict<T>(IConfigurationSection section, T options)
        where T : class
    {
        try
        {
            ClearConfiguredLists(section, options);
            section.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new OptionsValidationException(section.Key, typeof(T), [Rephrase(e.Message)]);
        }
    }

    /// <summary>
    /// The binder appends configured items to a list that already holds defaults; a configured list
    /// must replace the default one instead, so it is emptied first.
    /// </summary>
    private static void ClearConfiguredLists(IConfigurationSection section, object options)
    {
        foreach (var property in options.GetType().GetProperties())
        {
            if (property.GetIndexParameters().Length == 0
                && property.GetValue(options) is System.Collections.IList { IsReadOnly: false, IsFixedSize: false } list
                && section.GetSection(property.Name).Exists())
            {
                list.Clear();
            }
        }
    }

    /// <summary>Collects every problem of every bound section, for commands that check a config without starting.</summary>
    public static IReadOnlyList<string> Check<T>(IConfiguration configuration, string sectionName, T options, Func<T, IEnumerable<string>> validate)
        where T : class
    {
        try
        {
            BindStrict(configuration.GetSection(sectionName), options);
        }
        catch (OptionsValidationException e)
        {
            return [.. e.Failures];
        }

        return [.. validate(options)];
    }

    internal static string Rephrase(string message)
    {
        var match = ConversionFailure().Match(message);
        if (!match.Success)
        {
            return message;
        }

        var allowed = match.Groups["type"].Value switch
        {
            "System.Int32" or "System.Int64" or "System.UInt16" or "System.UInt32" or "System.UInt64" => "it must be a whole number",
            "System.Double" or "System.Single" or "System.Decimal" => "it must be a number",
            "System.Boolean" => "it must be true or false",
            "System.TimeSpan" => "it must be a duration such as 00:00:30",
            var t when t.StartsWith("System.Nullable`1[[System.Double", StringComparison.Ordinal) => "it must be a number",
            var t when t.StartsWith("System.Nullable`1[[System.Int", StringComparison.Ordinal) => "it must be a whole number",
            var t => $"it must be a value of type {t}",
        };
        return $"'{match.Groups["path"].Value}' is '{match.Groups["value"].Value}'; {allowed}.";
    }

    [GeneratedRegex("^Failed to convert configuration value '(?<value>.*)' at '(?<path>[^']*)' to type '(?<type>[^']*)'", RegexOptions.Singleline)]
    private static partial Regex ConversionFailure();

    private sealed class ProblemValidator<T>(Func<T, IEnumerable<string>> validate) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var problems = validate(options).ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
