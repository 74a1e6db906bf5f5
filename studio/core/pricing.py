"""What a device-hour costs when the user has not said: the price behind every cost figure
(cost per million samples in the report, a serving plan's cost per hour). A constant of its own,
so the command line's option parsers can show it without importing the reports."""

DEFAULT_PRICE_PER_DEVICE_HOUR = 2.50     # US dollars, a cloud GPU's on-demand hour
