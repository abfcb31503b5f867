using FashionFunctions.Core.Access;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Sweeps;
using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Budgets;

/// <summary>
/// Refuses training work beyond the budgets (<see cref="BudgetOptions"/>), whoever asks: a job or a sweep that
/// would cost too much (<see cref="OverBudgetException"/>), and new work while too much is queued or running
/// (<see cref="QuotaExceededException"/>). The counts are read before the create, so requests racing each other
/// may together pass a limit by their own number; none passes it alone.
/// </summary>
public sealed class TrainingBudget(BudgetOptions options, TableJobStore jobs, TableSweepStore sweeps)
{
    public BudgetOptions Options => options;

    public void CheckJob(TrainingOptions training)
    {
        double cost = TrainingCost.Of(training);
        if (cost > options.MaxJobCost)
        {
            throw new OverBudgetException(nameof(options.MaxJobCost), cost, options.MaxJobCost, "This job");
        }
    }

    public void CheckSweep(SweepPlan plan)
    {
        double total = 0;
        foreach (var point in plan.Points)
        {
            double cost = TrainingCost.Of(plan.OptionsFor(point));
            if (cost > options.MaxJobCost)
            {
                throw new OverBudgetException(nameof(options.MaxJobCost), cost, options.MaxJobCost, $"Point {point.Index} of this sweep");
            }

            total += cost;
        }

        if (total > options.MaxSweepCost)
        {
            throw new OverBudgetException(nameof(options.MaxSweepCost), total, options.MaxSweepCost, $"This sweep's {plan.Points.Count} points together");
        }
    }

    /// <summary>Counts from the jobs' markers alone; a count at its limit is read again job by job before it refuses.</summary>
    public async Task CheckActiveJobsAsync(Caller caller, CancellationToken cancellationToken)
    {
        var perOwner = (nameof(options.MaxActiveJobsPerOwner), options.MaxActiveJobsPerOwner, "Your jobs queued or running");
        var total = (nameof(options.MaxActiveJobs), options.MaxActiveJobs, "Jobs queued or running, everyone's together");
        if (Refusal(await jobs.ActiveJobOwnersAsync(verified: false, cancellationToken).ConfigureAwait(false), caller, perOwner, total) is not null
            && Refusal(await jobs.ActiveJobOwnersAsync(verified: true, cancellationToken).ConfigureAwait(false), caller, perOwner, total) is { } refusal)
        {
            throw refusal;
        }
    }

    public async Task CheckRunningSweepsAsync(Caller caller, CancellationToken cancellationToken)
    {
        var owners = new List<string?>();
        await foreach (var stored in sweeps.RunningAsync(cancellationToken).ConfigureAwait(false))
        {
            owners.Add(stored.Record.Owner);
        }

        if (Refusal(owners, caller,
            (nameof(options.MaxRunningSweepsPerOwner), options.MaxRunningSweepsPerOwner, "Your sweeps running"),
            (nameof(options.MaxRunningSweeps), options.MaxRunningSweeps, "Sweeps running, everyone's together")) is { } refusal)
        {
            throw refusal;
        }
    }

    /// <summary>One owner's share of the active records, then everyone's, each against its limit: the first
    /// reached, or null.</summary>
    private QuotaExceededException? Refusal(List<string?> owners, Caller caller,
        (string Setting, int Allowed, string What) perOwner, (string Setting, int Allowed, string What) total)
    {
        foreach (var (count, limit) in new[] { (owners.Count(o => o == caller.Id), perOwner), (owners.Count, total) })
        {
            if (count >= limit.Allowed)
            {
                return new QuotaExceededException(limit.Setting, count, limit.Allowed, limit.What, options.RetryAfter);
            }
        }

        return null;
    }
}
