"""What a merchant sells: products, prices and coupons (`catalog`) and tax rates (`taxrates`)."""
