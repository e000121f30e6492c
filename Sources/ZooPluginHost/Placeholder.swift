import CZooPlugin
