using FashionFunctions.Benchmarks.Sweeps;

namespace FashionFunctions.Core.Tests.Sweeps;

public class SweepScaleSimulationTests
{
    private static readonly SweepScaleParameters Baseline = new() { TrainingSecondsPerJob = 60, OverheadSecondsPerJob = 3, ColdStartSeconds = 20 };

    [Theory]
    [InlineData(16)]
    [InlineData(64)]
    public void One_instance_takes_about_n_times_the_job_time(int jobs)
    {
        var result = SweepScaleSimulation.Run(Baseline with { Jobs = jobs, MaxInstances = 1 });
        double serial = jobs * (Baseline.TrainingSecondsPerJob + Baseline.OverheadSecondsPerJob);
        Assert.InRange(result.MakespanSeconds, serial, serial + Baseline.ColdStartSeconds + Baseline.PollingIntervalSeconds);
        Assert.Equal(1, result.PeakInstances);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.05)]
    public void More_instances_are_never_slower(double crashProbability)
    {
        double previous = double.MaxValue;
        foreach (int instances in new[] { 1, 2, 4, 8, 16, 32, 64, 100 })
        {
            var result = SweepScaleSimulation.Run(Baseline with { Jobs = 64, MaxInstances = instances, CrashProbability = crashProbability });
            Assert.True(result.MakespanSeconds <= previous * 1.01, $"{instances} instances took {result.MakespanSeconds:0} s, fewer took {previous:0} s");
            previous = result.MakespanSeconds;
        }
    }

    [Fact]
    public void Without_crashes_cost_does_not_depend_on_the_instance_count_and_counts_execution_time_only()
    {
        var costs = new[] { 1, 10, 100 }.Select(m => SweepScaleSimulation.Run(Baseline with { Jobs = 64, MaxInstances = m })).ToList();
        double gbSeconds = 64 * 63 * 4.0;
        Assert.All(costs, c => Assert.Equal(gbSeconds, c.BilledGbSeconds, 6));
        Assert.All(costs, c => Assert.Equal(64, c.Executions));
        Assert.All(costs, c => Assert.Equal(gbSeconds * 0.000026 + 64 * 0.4e-6, c.Cost, 9));
    }

    [Fact]
    public void Instances_beyond_the_number_of_jobs_are_never_started_and_do_not_help()
    {
        var enough = SweepScaleSimulation.Run(Baseline with { Jobs = 16, MaxInstances = 16 });
        var more = SweepScaleSimulation.Run(Baseline with { Jobs = 16, MaxInstances = 100 });
        Assert.Equal(16, more.PeakInstances);
        Assert.Equal(enough.MakespanSeconds, more.MakespanSeconds);
    }

    [Fact]
    public void A_crash_costs_at_most_one_epoch_of_training_per_crash_plus_the_wait_for_recovery()
    {
        var clean = SweepScaleSimulation.Run(Baseline with { Jobs = 64, MaxInstances = 8 });
        var crashing = SweepScaleSimulation.Run(Baseline with { Jobs = 64, MaxInstances = 8, CrashProbability = 0.2 });
        Assert.True(crashing.Crashes > 0);
        Assert.Equal(64 + crashing.Crashes, crashing.Executions);
        double extraSeconds = (crashing.BilledGbSeconds - clean.BilledGbSeconds) / 4.0;
        Assert.InRange(extraSeconds, 0, crashing.Crashes * (Baseline.EpochSeconds + Baseline.OverheadSecondsPerJob));
        Assert.True(crashing.MakespanSeconds > clean.MakespanSeconds);
    }
}
