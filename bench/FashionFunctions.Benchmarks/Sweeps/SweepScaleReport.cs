using System.Globalization;
using System.Text;

namespace FashionFunctions.Benchmarks.Sweeps;

/// <summary>
/// <c>fashion-bench --simulate-sweeps</c>: runs the scale model over N = 16…1024 jobs and M = 1…100 instances and
/// prints Markdown tables (makespan, cost, and the load on storage against its published limits).
/// </summary>
public static class SweepScaleReport
{
    public const string Flag = "--simulate-sweeps";

    private static readonly int[] JobCounts = [16, 64, 256, 1024];
    private static readonly int[] InstanceCounts = [1, 4, 10, 25, 40, 100];

    // Published scalability targets of a standard storage account; the 30-minute function timeout is host.json's.
    private const int AccountRequestsPerSecond = 20_000;
    private const int QueueMessagesPerSecond = 2_000;
    private const int TablePartitionEntitiesPerSecond = 2_000;

    /// <summary>Usage: --simulate-sweeps [--job-seconds S] [--epochs N] [--cold-start S] [--crash-probability P]</summary>
    public static int Run(string[] args)
    {
        var baseline = new SweepScaleParameters();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case Flag: break;
                case "--job-seconds": baseline = baseline with { TrainingSecondsPerJob = Number(args[++i]) }; break;
                case "--epochs": baseline = baseline with { EpochsPerJob = (int)Number(args[++i]) }; break;
                case "--cold-start": baseline = baseline with { ColdStartSeconds = Number(args[++i]) }; break;
                case "--crash-probability": baseline = baseline with { CrashProbability = Number(args[++i]) }; break;
                default: Console.Error.WriteLine($"fashion-bench: unknown argument {args[i]}"); return 2;
            }
        }

        Console.Out.Write(Render(baseline));
        return 0;
    }

    public static string Render(SweepScaleParameters baseline)
    {
        var text = new StringBuilder();
        var crashing = baseline with { CrashProbability = Math.Max(baseline.CrashProbability, 0.05) };
        text.AppendLine(Invariant($"Assumed: {baseline.TrainingSecondsPerJob:0.#} s of training per job ({baseline.EpochsPerJob} epochs) + {baseline.OverheadSecondsPerJob:0.#} s overhead, cold start {baseline.ColdStartSeconds:0.#} s, polling {baseline.PollingIntervalSeconds:0.#} s, scale decisions every {baseline.ScaleDecisionSeconds:0.#} s adding ≤ {baseline.InstancesPerScaleDecision}, {baseline.InstanceMemoryMb} MB instances at ${baseline.PricePerGbSecond:0.######}/GB-s + ${baseline.PricePerMillionExecutions:0.00}/million executions, crash recovery {baseline.CrashRecoverySeconds:0} s."));
        text.AppendLine();
        text.Append("| jobs N | ").AppendJoin(" | ", InstanceCounts.Select(m => $"M = {m}")).AppendLine(Invariant($" | cost | cost, {crashing.CrashProbability * 100:0.#}% of executions crash (M = 40) |"));
        text.Append("| ---: | ").AppendJoin(" | ", InstanceCounts.Select(_ => "---:")).AppendLine(" | ---: | ---: |");
        foreach (int n in JobCounts)
        {
            var runs = InstanceCounts.Select(m => SweepScaleSimulation.Run(baseline with { Jobs = n, MaxInstances = m })).ToList();
            var crashed = SweepScaleSimulation.Run(crashing with { Jobs = n, MaxInstances = 40 });
            text.Append(Invariant($"| {n} | ")).AppendJoin(" | ", runs.Select(r => Duration(r.MakespanSeconds)));
            text.AppendLine(Invariant($" | ${runs[^1].Cost:0.00} | ${crashed.Cost:0.00} ({Duration(crashed.MakespanSeconds)}) |"));
        }

        var largest = SweepScaleSimulation.Run(baseline with { Jobs = JobCounts[^1], MaxInstances = InstanceCounts[^1] });
        int m = InstanceCounts[^1];
        text.AppendLine();
        text.AppendLine(Invariant($"Load at N = {JobCounts[^1]}, M = {m} (peak one-second window) against the storage account's limits, and the instance count where each would bind if load grew linearly with M:"));
        text.AppendLine();
        text.AppendLine("| resource | peak at M = 100 | limit | binds at about |");
        text.AppendLine("| --- | ---: | ---: | ---: |");
        text.AppendLine(LimitRow("storage requests/s (account)", largest.PeakStorageRequestsPerSecond, AccountRequestsPerSecond, m));
        text.AppendLine(LimitRow("queue messages/s (one queue)", largest.PeakQueueMessagesPerSecond, QueueMessagesPerSecond, m));
        text.AppendLine(LimitRow("job-record writes/s (one table partition)", largest.PeakPartitionWritesPerSecond, TablePartitionEntitiesPerSecond, m));
        double epochsWithinTimeout = (baseline.FunctionTimeoutSeconds - baseline.OverheadSecondsPerJob) / baseline.EpochSeconds;
        text.AppendLine(Invariant($"| longest execution | {largest.LongestExecutionSeconds:0} s | {baseline.FunctionTimeoutSeconds:0} s | {epochsWithinTimeout:0} epochs of this size per job |"));
        return text.ToString();
    }

    private static string LimitRow(string resource, int peak, int limit, int instances) =>
        Invariant($"| {resource} | {peak:N0} | {limit:N0} | {(peak == 0 ? "never" : $"M ≈ {(double)limit * instances / peak:N0}")} |");

    private static string Duration(double seconds) =>
        seconds < 120 ? Invariant($"{seconds:0} s") : seconds < 7200 ? Invariant($"{seconds / 60:0.#} min") : Invariant($"{seconds / 3600:0.#} h");

    private static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
