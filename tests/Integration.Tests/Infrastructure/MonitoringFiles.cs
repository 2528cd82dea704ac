using System.Text.Json;
using System.Text.RegularExpressions;

namespace RaftKV.Integration.Tests.Infrastructure;

/// <summary>The metric names the shipped Grafana dashboard and Prometheus alert rules (deploy/monitoring) query.</summary>
internal static partial class MonitoringFiles
{
    public static string Dashboard => Path.Combine(NodeBinary.RepositoryRoot, "deploy", "monitoring", "grafana-dashboard.json");

    public static string Alerts => Path.Combine(NodeBinary.RepositoryRoot, "deploy", "monitoring", "alerts.yml");

    /// <summary>Every raftkv_* and dotnet_* name in a dashboard panel's query or an alert's expression, with the file.</summary>
    public static List<(string File, string Name)> MetricNames()
    {
        var names = new List<(string, string)>();
        using (var dashboard = JsonDocument.Parse(File.ReadAllText(Dashboard)))
        {
            foreach (var expr in Expressions(dashboard.RootElement))
                names.AddRange(MetricName().Matches(expr).Select(static m => ("grafana-dashboard.json", m.Value)));
        }

        foreach (var line in File.ReadAllLines(Alerts).Where(static l => l.TrimStart().StartsWith("expr:", StringComparison.Ordinal)))
            names.AddRange(MetricName().Matches(line).Select(static m => ("alerts.yml", m.Value)));
        return [.. names.Distinct()];
    }

    private static IEnumerable<string> Expressions(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name == "expr" && property.Value.ValueKind == JsonValueKind.String)
                    yield return property.Value.GetString()!;
                else
                    foreach (var inner in Expressions(property.Value))
                        yield return inner;
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
                foreach (var inner in Expressions(item))
                    yield return inner;
        }
    }

    [GeneratedRegex(@"\b(?:raftkv|dotnet)_[a-z0-9_]+")]
    private static partial Regex MetricName();
}
