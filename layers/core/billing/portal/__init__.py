"""The hosted portal's objects: portal sessions and the link exchange (`portalsessions`) and
portal configurations (`portalconfigs`)."""
