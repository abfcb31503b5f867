namespace FashionFunctions.Core.Budgets;

/// <summary>A request that would cost more than any one request may (HTTP 422): <see cref="Limit"/> names the
/// setting, <see cref="Figure"/> what the request would cost, <see cref="Allowed"/> its value.</summary>
public sealed class OverBudgetException(string limit, double figure, double allowed, string what)
    : Exception($"{what} is estimated at {figure:0.##} Keras epochs (one epoch of the tutorial's model), over the limit of {allowed:0.##} ({limit}).")
{
    public string Limit { get; } = limit;
    public double Figure { get; } = figure;
    public double Allowed { get; } = allowed;
}
