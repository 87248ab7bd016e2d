// Placeholder entry point so the Silo project (an Exe) builds before the silo host lands;
// replace with the real host wiring.
return 0;
